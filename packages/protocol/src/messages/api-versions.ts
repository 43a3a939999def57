/**
 * ApiVersions (api 0): the handshake. A client sends it first on every connection and
 * then uses, per API, the highest version both sides support.
 *
 *   request  = { clientId: string, clientSoftware: string }
 *   response = { nodeId: int, clusterId: string, apis: [{ api: int, min: int, max: int }] }
 */
import { clientIdLengthMax } from '../limits.ts';
import * as s from '../wire/schema.ts';
import { nodeId } from './common.ts';

export const apiVersionsRequest = s.object({
  clientId: s.string({ maxLength: clientIdLengthMax }),
  clientSoftware: s.string({ maxLength: 255 }),
});
export type ApiVersionsRequest = s.Infer<typeof apiVersionsRequest>;

export const apiVersionsResponse = s.object({
  nodeId,
  clusterId: s.string({ maxLength: 255 }),
  apis: s.array(
    s.object({ api: s.int({ min: 0, max: 1000 }), min: s.int({ min: 0 }), max: s.int({ min: 0 }) }),
    { maxItems: 1000 },
  ),
});
export type ApiVersionsResponse = s.Infer<typeof apiVersionsResponse>;
