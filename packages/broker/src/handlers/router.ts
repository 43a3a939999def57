/**
 * Routes each decoded request to the code that answers it. Every handler gets a body that
 * already passed its schema; what it throws as a ProtocolError becomes the response's
 * top-level error.
 */
import {
  Api,
  type ApiVersionsResponse,
  apiDefinitions,
  ErrorCode,
  ProtocolError,
  type RequestFrame,
  type RequestOf,
} from '@tributary/protocol';
import type { ConnectionContext } from '../server/client-server.ts';
import { noResponse } from '../server/client-server.ts';

export type Handlers = {
  [A in Api]?: (body: RequestOf<A>, context: ConnectionContext) => Promise<unknown> | unknown;
};

export function apiVersionsBody(nodeId: number, clusterId: string): ApiVersionsResponse {
  return {
    nodeId,
    clusterId,
    apis: Object.entries(apiDefinitions).map(([api, definition]) => ({
      api: Number(api),
      min: definition.minVersion,
      max: definition.maxVersion,
    })),
  };
}

export function createRouter(handlers: Handlers) {
  return async (
    frame: RequestFrame,
    context: ConnectionContext,
  ): Promise<unknown | typeof noResponse> => {
    const handler = handlers[frame.api] as
      | ((body: unknown, context: ConnectionContext) => unknown)
      | undefined;
    if (!handler)
      throw new ProtocolError(
        ErrorCode.UnsupportedVersion,
        `${apiDefinitions[frame.api].name} is not served here`,
      );
    return handler(frame.body, context);
  };
}

export { Api, noResponse };
