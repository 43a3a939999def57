/**
 * The worker's REST API (node:http, JSON in and out):
 *
 *   GET    /                              worker id and mode
 *   GET    /connector-plugins             connector classes
 *   GET    /connectors                    connector names
 *   POST   /connectors                    create (body: the flat connector configuration)   201
 *   GET    /connectors/:name              configuration and task count
 *   PUT    /connectors/:name/config       create or replace the configuration               201/200
 *   GET    /connectors/:name/status       connector and task states
 *   PUT    /connectors/:name/pause        stop its tasks, keep them assigned               202
 *   PUT    /connectors/:name/resume                                                          202
 *   POST   /connectors/:name/restart      start its tasks again (a failed task stays failed) 202
 *   DELETE /connectors/:name                                                                 204
 *
 * Bad input gets a 4xx with `{ error, message, problems? }` — malformed JSON, a body too
 * large, an unknown connector class, an invalid configuration — and never stops the worker.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { limits } from '../limits.ts';
import type { Herder } from '../runtime/herder.ts';
import type { Logger } from '../runtime/logger.ts';
import { HttpError, statusOf } from './http-errors.ts';

type Handler = (
  herder: Herder,
  params: { name: string },
  body: () => Promise<unknown>,
) => Promise<{ status: number; body?: unknown }>;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handler: Handler;
}

const name = '([^/]+)';
const routes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/$/,
    handler: async (h) => ({ status: 200, body: { workerId: h.workerId, mode: h.mode } }),
  },
  {
    method: 'GET',
    pattern: /^\/connector-plugins$/,
    handler: async (h) => ({ status: 200, body: h.plugins.list() }),
  },
  {
    method: 'GET',
    pattern: /^\/connectors$/,
    handler: async (h) => ({ status: 200, body: await h.list() }),
  },
  {
    method: 'POST',
    pattern: /^\/connectors$/,
    handler: async (h, _p, body) => ({ status: 201, body: await h.create(await body()) }),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/connectors/${name}$`),
    handler: async (h, p) => ({ status: 200, body: await h.info(p.name) }),
  },
  {
    method: 'PUT',
    pattern: new RegExp(`^/connectors/${name}/config$`),
    handler: async (h, p, body) => {
      const { created, info } = await h.put(p.name, await body());
      return { status: created ? 201 : 200, body: info };
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/connectors/${name}/status$`),
    handler: async (h, p) => ({ status: 200, body: await h.status(p.name) }),
  },
  {
    method: 'PUT',
    pattern: new RegExp(`^/connectors/${name}/pause$`),
    handler: async (h, p) => {
      await h.pause(p.name);
      return { status: 202 };
    },
  },
  {
    method: 'PUT',
    pattern: new RegExp(`^/connectors/${name}/resume$`),
    handler: async (h, p) => {
      await h.resume(p.name);
      return { status: 202 };
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/connectors/${name}/restart$`),
    handler: async (h, p) => {
      await h.restart(p.name);
      return { status: 202 };
    },
  },
  {
    method: 'DELETE',
    pattern: new RegExp(`^/connectors/${name}$`),
    handler: async (h, p) => {
      await h.delete(p.name);
      return { status: 204 };
    },
  },
];

export class RestServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** `herder` answers undefined while the worker is still starting (requests get 503). */
  static async listen(
    herder: () => Herder | undefined,
    options: { host: string; port: number; log: Logger },
  ): Promise<RestServer> {
    const server = createServer((request, response) => {
      handle(herder, request, response).catch((error: unknown) => {
        options.log.error('REST request failed unexpectedly', { error: String(error) });
        if (!response.headersSent)
          send(response, 500, { error: 'INTERNAL', message: 'internal error' });
      });
    });
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { address, port } = server.address() as AddressInfo;
    const host = address.includes(':') ? `[${address}]` : address;
    return new RestServer(server, `http://${host}:${port}`);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function handle(
  getHerder: () => Herder | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  try {
    const path = decodePath(
      new URL(request.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/',
    );
    const matching = routes.filter((route) => route.pattern.test(path));
    if (matching.length === 0) throw new HttpError(404, 'NOT_FOUND', `no such resource ${path}`);
    const route = matching.find((r) => r.method === request.method);
    if (route === undefined) {
      response.setHeader('Allow', matching.map((r) => r.method).join(', '));
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}`);
    }
    const herder = getHerder();
    if (herder === undefined) throw new HttpError(503, 'STARTING', 'the worker is still starting');
    const params = { name: route.pattern.exec(path)?.[1] ?? '' };
    const result = await route.handler(herder, params, () => readJson(request));
    send(response, result.status, result.body);
  } catch (error) {
    // A body not read to its end (too large) leaves the connection in no state to carry
    // another request: say so and close it, or the client's next request on it fails.
    if (!request.complete) response.setHeader('connection', 'close');
    request.resume(); // drain what was not read
    const { status, body } = statusOf(error);
    send(response, status, body);
  }
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'the URL is not valid percent-encoding');
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limits.restBodyBytesMax)
      throw new HttpError(
        413,
        'BODY_TOO_LARGE',
        `the body is larger than ${limits.restBodyBytesMax} bytes`,
      );
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'BAD_REQUEST', 'the request needs a JSON body');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(
      400,
      'MALFORMED_JSON',
      `the body is not valid JSON: ${(error as Error).message}`,
    );
  }
}

function send(response: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  response
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    })
    .end(text);
}
