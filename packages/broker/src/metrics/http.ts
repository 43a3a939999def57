/**
 * The node's HTTP endpoint: `GET /metrics` (Prometheus text), `GET /health` (200 when the
 * node serves, 503 with reasons when not, JSON either way). Anything else is 404.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsRegistry } from './registry.ts';

export interface HealthReport {
  readonly healthy: boolean;
  readonly details: Record<string, unknown>;
}

export interface MetricsEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

export async function startMetricsEndpoint(options: {
  host: string;
  port: number;
  registry: MetricsRegistry;
  health: () => HealthReport;
}): Promise<MetricsEndpoint> {
  const server: Server = createServer((request, response) => {
    try {
      if (request.method === 'GET' && request.url === '/metrics') {
        response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        response.end(options.registry.render());
      } else if (request.method === 'GET' && request.url === '/health') {
        const report = options.health();
        response.writeHead(report.healthy ? 200 : 503, { 'content-type': 'application/json' });
        response.end(JSON.stringify(report));
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' });
        response.end('not found: try /metrics or /health\n');
      }
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`error: ${(error as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
