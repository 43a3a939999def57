/**
 * The client listener: a WebSocket server where each binary frame is one request (see
 * `@tributary/protocol` wire/frame.ts). Requests on a connection are handled concurrently
 * and answered as each completes, paired by correlation id (pipelining). A connection may
 * have at most `inflightRequestsMax` requests in progress; beyond that the server stops
 * reading its socket until some complete, so a fast client cannot grow our memory.
 *
 * Bad input never takes the process down: an undecodable frame is answered with a typed
 * error when its correlation id can be read, and otherwise the connection is closed.
 */
import type { AddressInfo } from 'node:net';
import {
  type Api,
  apiName,
  decodeRequest,
  ErrorCode,
  encodeResponse,
  FramePool,
  type FramePoolLimits,
  joinPieces,
  limits,
  ProtocolError,
  type RequestFrame,
} from '@tributary/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../logger.ts';

/** Returned by a handler that must not answer (Produce with acks 0). */
export const noResponse: unique symbol = Symbol('noResponse');

/**
 * A successful response the handler encodes itself into frame pieces, written in order
 * (Fetch: stored batches by reference, so they are copied once, into the frame).
 */
export class EncodedResponse {
  /**
   * `encode` gives the frame as pieces, which may be views of memory lent to the response
   * (storage read buffers); `settled` runs once those pieces have been copied for the
   * socket or dropped, after which nothing looks at them again.
   */
  constructor(
    readonly encode: (correlationId: number) => Uint8Array[],
    readonly settled: () => void = () => {},
  ) {}
}

export interface ConnectionContext {
  readonly connectionId: number;
  readonly remoteAddress: string;
  /** Aborted when the connection closes, so long polls can stop early. */
  readonly closed: AbortSignal;
  /** The client's id, as it said in ApiVersions. */
  clientId?: string;
}

export type RequestHandler = (
  frame: RequestFrame,
  context: ConnectionContext,
) => Promise<unknown | typeof noResponse>;

export type RequestObserver = (api: Api | undefined, errorCode: number, seconds: number) => void;

export interface ClientServerOptions {
  readonly host: string;
  readonly port: number;
  readonly handle: RequestHandler;
  readonly logger: Logger;
  readonly observe?: RequestObserver;
  readonly inflightRequestsMax?: number;
  readonly connectionsMax?: number;
  readonly framePoolLimits?: FramePoolLimits;
}

export const defaultInflightRequestsMax = 256;
export const defaultConnectionsMax = 10_000;
/**
 * Memory reused for frames assembled from pieces (Fetch answers), shared by every
 * connection: at most 8 buffers of up to 8 MiB (64 MiB) are kept; larger frames, and frames
 * wanted while all are being written, get fresh memory.
 */
export const responseFramePoolLimits: FramePoolLimits = {
  bufferBytesMax: 8 * 1024 * 1024,
  buffersMax: 8,
  // Small answers come cheaply from Node's slab and would take large buffers from large ones.
  pooledFrameBytesMin: 64 * 1024,
};

export class ClientServer {
  private server: WebSocketServer | undefined;
  private nextConnectionId = 1;
  private readonly sockets = new Set<WebSocket>();
  /** Frames assembled from pieces; a buffer returns once its frame was written. */
  readonly framePool: FramePool;

  constructor(private readonly options: ClientServerOptions) {
    this.framePool = new FramePool(options.framePoolLimits ?? responseFramePoolLimits);
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | undefined)?.port ?? 0;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  async start(): Promise<number> {
    const server = new WebSocketServer({
      host: this.options.host,
      port: this.options.port,
      maxPayload: limits.frameBytesMax,
      perMessageDeflate: false,
    });
    this.server = server;
    server.on('connection', (socket, request) =>
      this.accept(socket, request.socket.remoteAddress ?? '?'),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    server.on('error', (error) =>
      this.options.logger.error('client listener error', { error: error.message }),
    );
    return this.port;
  }

  private accept(socket: WebSocket, remoteAddress: string): void {
    // First of all: ws emits 'error' for a malformed frame, even on a socket being closed,
    // and an 'error' nobody listens to is an uncaught exception that stops the process.
    socket.on('error', (error) =>
      this.options.logger.debug('client socket error', { remoteAddress, error: error.message }),
    );
    const connectionsMax = this.options.connectionsMax ?? defaultConnectionsMax;
    if (this.sockets.size >= connectionsMax) {
      socket.close(1013, 'too many connections');
      return;
    }
    this.sockets.add(socket);
    const closing = new AbortController();
    const context: ConnectionContext = {
      connectionId: this.nextConnectionId++,
      remoteAddress,
      closed: closing.signal,
    };
    const inflightMax = this.options.inflightRequestsMax ?? defaultInflightRequestsMax;
    let inflight = 0;
    const rawSocket = (socket as unknown as { _socket?: { pause(): void; resume(): void } })
      ._socket;
    socket.on('message', (data, isBinary) => {
      if (!isBinary) {
        socket.close(1003, 'binary frames only');
        return;
      }
      inflight++;
      if (inflight >= inflightMax) rawSocket?.pause();
      void this.serve(socket, data as Buffer, context).finally(() => {
        inflight--;
        if (inflight === inflightMax - 1) rawSocket?.resume();
      });
    });
    socket.on('close', () => {
      this.sockets.delete(socket);
      closing.abort();
    });
  }

  private async serve(socket: WebSocket, bytes: Buffer, context: ConnectionContext): Promise<void> {
    const started = performance.now();
    const decoded = decodeRequest(bytes);
    if (!decoded.ok) {
      this.options.observe?.(undefined, decoded.error.code, 0);
      if (decoded.correlationId === undefined) {
        socket.close(1002, 'undecodable frame');
        return;
      }
      this.send(socket, decoded.correlationId, decoded.error, null);
      return;
    }
    const { frame } = decoded;
    let error: ProtocolError | undefined;
    let body: unknown = null;
    try {
      body = await this.options.handle(frame, context);
    } catch (caught) {
      error = this.toProtocolError(caught, frame);
    }
    this.options.observe?.(frame.api, error?.code ?? 0, (performance.now() - started) / 1000);
    if (body === noResponse) return;
    if (!error && body instanceof EncodedResponse) {
      try {
        this.sendPieces(socket, body.encode(frame.correlationId));
      } catch (caught) {
        this.send(socket, frame.correlationId, this.toProtocolError(caught, frame), null);
      } finally {
        body.settled();
      }
      return;
    }
    this.send(socket, frame.correlationId, error, error ? null : body);
  }

  private toProtocolError(caught: unknown, frame: RequestFrame): ProtocolError {
    if (caught instanceof ProtocolError) return caught;
    this.options.logger.error('request handler failed', {
      api: apiName(frame.api),
      error: (caught as Error)?.stack ?? String(caught),
    });
    return new ProtocolError(
      ErrorCode.UnknownServerError,
      (caught as Error)?.message ?? 'internal error',
    );
  }

  private send(
    socket: WebSocket,
    correlationId: number,
    error: ProtocolError | undefined,
    body: unknown,
  ): void {
    if (socket.readyState !== socket.OPEN) return;
    const bytes = encodeResponse({
      correlationId,
      errorCode: error?.code ?? 0,
      message: error?.message ?? null,
      body,
    });
    socket.send(bytes, { binary: true });
  }

  /**
   * Copies the pieces into one frame before returning, so the caller may reuse them after.
   * The frame is pooled memory, given back once the socket has written it; if the write
   * fails the socket may still hold it, so the pool forgets it instead.
   */
  private sendPieces(socket: WebSocket, pieces: Uint8Array[]): void {
    if (socket.readyState !== socket.OPEN) return;
    const frame = joinPieces(pieces, this.framePool.allocate);
    socket.send(frame, { binary: true }, (error) => {
      if (error) this.framePool.discard(frame);
      else this.framePool.release(frame);
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }
}
