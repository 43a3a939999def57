/**
 * One WebSocket connection to one broker. Each binary frame is one request or response
 * (packages/protocol/src/wire/frame.ts); requests are pipelined and paired with responses
 * by correlation id, so responses may come back in any order. At most
 * `inflightRequestsMax` requests are outstanding; further ones wait for a slot (and that
 * wait counts against their timeout and honours their AbortSignal).
 *
 * The first request on a connection is ApiVersions; afterwards every API is sent at the
 * highest version both sides support, and an API the broker lacks fails at once with
 * UNSUPPORTED_VERSION.
 *
 * When the connection closes, for whatever reason, every pending request and every waiter
 * is rejected with the closing error: nothing hangs.
 */
import {
  Api,
  type ApiVersionsResponse,
  apiDefinitions,
  apiName,
  checkResponseBody,
  correlationIdMax,
  decodeResponseHead,
  ErrorCode,
  encodeRequest,
  FramePool,
  type RequestOf,
  type ResponseFrameHead,
  type ResponseOf,
} from '@tributary/protocol';
import { type RawData, WebSocket } from 'ws';
import { abortable, type Interrupt, signalOf } from '../abort.ts';
import { assert } from '../assert.ts';
import {
  ClientClosedError,
  ConnectionError,
  MalformedResponseError,
  protocolError,
  RequestTimeoutError,
  TributaryClientError,
} from '../errors.ts';
import type { ClientEmitter } from '../instrumentation.ts';
import {
  closeHandshakeMsMax,
  frameBytesMax,
  framePoolBufferBytesMax,
  framePoolBuffersMax,
} from '../limits.ts';
import type { Logger } from '../logger.ts';
import { formatBrokerAddress } from './broker-address.ts';
import { InflightSlots } from './inflight-slots.ts';
import { negotiateVersions } from './versions.ts';

export const clientSoftware = 'tributary-js/0.1.0';

export interface ConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly inflightRequestsMax: number;
  readonly logger: Logger;
  readonly emitter?: ClientEmitter;
}

export interface RequestOptions {
  readonly timeoutMs?: number;
  readonly signal?: Interrupt;
}

interface PendingRequest {
  readonly api: Api;
  readonly startedAtMs: number;
  readonly requestBytes: number;
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class Connection {
  readonly host: string;
  readonly port: number;
  private readonly socket: WebSocket;
  private readonly options: ConnectionOptions;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly slots: InflightSlots;
  /** Memory for Produce frames, reused once the socket has written them. */
  private readonly framePool = new FramePool({
    bufferBytesMax: framePoolBufferBytesMax,
    buffersMax: framePoolBuffersMax,
  });
  private versions = new Map<Api, number>([[Api.ApiVersions, 1]]);
  private nextCorrelationId = 0;
  private closeError: TributaryClientError | undefined;
  private readonly closeListeners = new Set<(error: TributaryClientError) => void>();
  private closedPromise: Promise<void>;
  /** Filled by the ApiVersions handshake. */
  nodeId = -1;
  clusterId = '';

  private constructor(socket: WebSocket, options: ConnectionOptions) {
    this.socket = socket;
    this.options = options;
    this.host = options.host;
    this.port = options.port;
    this.slots = new InflightSlots(options.inflightRequestsMax);
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('close', (code, reason) =>
      this.fail(new ConnectionError(`${this.address} closed (${code} ${reason.toString()})`)),
    );
    socket.on('error', (error) => this.fail(new ConnectionError(`${this.address} failed`, error)));
  }

  /** Opens the socket and performs the ApiVersions handshake. */
  static async open(options: ConnectionOptions, signal?: AbortSignal): Promise<Connection> {
    const socket = await openSocket(options, signal);
    const connection = new Connection(socket, options);
    try {
      await connection.handshake(signal);
    } catch (error) {
      connection.close(error instanceof TributaryClientError ? error : undefined);
      throw error;
    }
    options.emitter?.emit('connect', {
      nodeId: connection.nodeId,
      host: options.host,
      port: options.port,
    });
    return connection;
  }

  get address(): string {
    return formatBrokerAddress(this);
  }

  get isOpen(): boolean {
    return this.closeError === undefined;
  }

  get inflightCount(): number {
    return this.pending.size;
  }

  /** The version this connection uses for `api`, or undefined when the broker lacks it. */
  versionOf(api: Api): number | undefined {
    return this.versions.get(api);
  }

  onClose(listener: (error: TributaryClientError) => void): () => void {
    if (this.closeError !== undefined) {
      listener(this.closeError);
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Sends a request and resolves with its validated response body. */
  async request<A extends Api>(
    api: A,
    body: RequestOf<A>,
    options: RequestOptions = {},
  ): Promise<ResponseOf<A>> {
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    const startedAtMs = Date.now();
    await this.acquireSlot(options.signal, timeoutMs, api);
    const remainingMs = Math.max(0, timeoutMs - (Date.now() - startedAtMs));
    let bytes: Uint8Array;
    let correlationId: number;
    try {
      if (this.closeError !== undefined) throw this.closeError;
      // The caller may have given up while waiting for the slot: send nothing then.
      if (options.signal?.aborted) throw options.signal.reason;
      ({ bytes, correlationId } = this.encode(api, body));
    } catch (error) {
      this.slots.release();
      throw error;
    }
    const response = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => this.expire(correlationId, remainingMs), remainingMs);
      this.pending.set(correlationId, {
        api,
        startedAtMs,
        requestBytes: bytes.byteLength,
        resolve,
        reject,
        timer,
      });
    });
    this.write(bytes, correlationId);
    return (await abortable(response, options.signal).catch((error: unknown) => {
      // The caller gave up: forget the request so its slot frees; a late answer is ignored.
      this.settle(correlationId, undefined, error);
      throw error;
    })) as ResponseOf<A>;
  }

  /**
   * Sends a request the broker will not answer (Produce with acks 0). Resolves once the
   * frame is handed to the socket.
   */
  async send<A extends Api>(api: A, body: RequestOf<A>, options: RequestOptions = {}) {
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    await this.acquireSlot(options.signal, timeoutMs, api);
    try {
      if (this.closeError !== undefined) throw this.closeError;
      const { bytes } = this.encode(api, body);
      await new Promise<void>((resolve, reject) =>
        this.socket.send(bytes, { binary: true }, (error) => {
          this.framePool.release(bytes);
          if (error) reject(new ConnectionError(`send to ${this.address} failed`, error));
          else resolve();
        }),
      );
    } finally {
      this.slots.release();
    }
  }

  /**
   * Closes the connection. Every pending request and waiter is rejected with `error`
   * (by default a ClientClosedError). Resolves once the socket is closed.
   */
  close(error?: TributaryClientError): Promise<void> {
    this.fail(error ?? new ClientClosedError(`connection to ${this.address} closed`));
    if (
      this.socket.readyState === WebSocket.OPEN ||
      this.socket.readyState === WebSocket.CONNECTING
    ) {
      this.socket.close(1000);
      const timer = setTimeout(() => this.socket.terminate(), closeHandshakeMsMax);
      timer.unref();
      this.closedPromise = this.closedPromise.then(() => clearTimeout(timer));
    }
    return this.socket.readyState === WebSocket.CLOSED ? Promise.resolve() : this.closedPromise;
  }

  private async handshake(signal?: AbortSignal): Promise<void> {
    const response = await this.request(
      Api.ApiVersions,
      { clientId: this.options.clientId, clientSoftware },
      signal === undefined ? {} : { signal },
    );
    this.adoptVersions(response);
  }

  private adoptVersions(response: ApiVersionsResponse): void {
    this.nodeId = response.nodeId;
    this.clusterId = response.clusterId;
    this.versions = negotiateVersions(response.apis);
  }

  private async acquireSlot(signal: Interrupt | undefined, timeoutMs: number, api: Api) {
    if (this.closeError !== undefined) throw this.closeError;
    if (this.slots.tryAcquire()) return;
    // Waiting for a slot is the slow path: real signals are affordable here. The delay must
    // be a whole number (a fractional one throws RangeError), and timeouts may be computed.
    const timeout = AbortSignal.timeout(Math.max(0, Math.ceil(timeoutMs)));
    const combined = signal === undefined ? timeout : AbortSignal.any([signalOf(signal), timeout]);
    try {
      await this.slots.acquire(combined);
    } catch (error) {
      if (this.closeError !== undefined) throw this.closeError;
      if (timeout.aborted && !signal?.aborted) {
        throw new RequestTimeoutError(
          `${apiName(api)} to ${this.address} waited ${timeoutMs} ms for an in-flight slot`,
        );
      }
      throw error;
    }
  }

  private encode(api: Api, body: unknown): { bytes: Uint8Array; correlationId: number } {
    const version = this.versions.get(api);
    if (version === undefined) {
      throw protocolError(
        ErrorCode.UnsupportedVersion.code,
        `broker ${this.address} does not support ${apiName(api)}`,
        { nodeId: this.nodeId },
      );
    }
    const correlationId = this.takeCorrelationId();
    const bytes = encodeRequest(
      { correlationId, api, version, body: body as never },
      this.framePool.allocate,
    );
    if (bytes.byteLength > frameBytesMax) {
      throw protocolError(
        ErrorCode.RecordListTooLarge.code,
        `${apiName(api)} request of ${bytes.byteLength} bytes exceeds the ${frameBytesMax}-byte frame limit`,
      );
    }
    return { bytes, correlationId };
  }

  private takeCorrelationId(): number {
    // Skip ids still in flight after a wrap-around (2^32 requests later).
    for (;;) {
      const id = this.nextCorrelationId;
      this.nextCorrelationId = id === correlationIdMax ? 0 : id + 1;
      if (!this.pending.has(id)) return id;
    }
  }

  private write(bytes: Uint8Array, correlationId: number): void {
    this.socket.send(bytes, { binary: true }, (error) => {
      this.framePool.release(bytes);
      if (error) {
        this.settle(correlationId, undefined, new ConnectionError(`send failed`, error));
      }
    });
  }

  private expire(correlationId: number, timeoutMs: number): void {
    const entry = this.pending.get(correlationId);
    if (entry === undefined) return;
    const error = new RequestTimeoutError(
      `${apiName(entry.api)} to ${this.address} got no response in ${timeoutMs} ms`,
    );
    this.settle(correlationId, undefined, error);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (!isBinary) {
      this.fail(new MalformedResponseError(`${this.address} sent a text frame`));
      this.socket.terminate();
      return;
    }
    const bytes = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : new Uint8Array(data);
    let head: ResponseFrameHead;
    try {
      head = decodeResponseHead(bytes);
    } catch (cause) {
      // Without a correlation id nothing can be paired any more: drop the connection.
      this.fail(new MalformedResponseError(`${this.address} sent an undecodable frame`, cause));
      this.socket.terminate();
      return;
    }
    this.onResponse(head);
  }

  private onResponse(head: ResponseFrameHead): void {
    const entry = this.pending.get(head.correlationId);
    if (entry === undefined) {
      this.options.logger.debug('response to an abandoned request', {
        broker: this.address,
        correlationId: head.correlationId,
      });
      return;
    }
    if (head.errorCode !== ErrorCode.None.code) {
      const error = protocolError(head.errorCode, head.message ?? undefined, {
        nodeId: this.nodeId,
      });
      this.settle(head.correlationId, undefined, error);
      return;
    }
    try {
      this.settle(head.correlationId, checkResponseBody(entry.api, head.body), undefined);
    } catch (cause) {
      const error = new MalformedResponseError(
        `${apiName(entry.api)} response from ${this.address} is invalid`,
        cause,
      );
      this.settle(head.correlationId, undefined, error);
    }
  }

  /** Completes one pending request exactly once and frees its slot. */
  private settle(correlationId: number, body: unknown, error: unknown): void {
    const entry = this.pending.get(correlationId);
    if (entry === undefined) return;
    this.pending.delete(correlationId);
    clearTimeout(entry.timer);
    this.slots.release();
    this.emitRequest(correlationId, entry, error);
    if (error === undefined) entry.resolve(body);
    else entry.reject(error);
  }

  private emitRequest(correlationId: number, entry: PendingRequest, error: unknown): void {
    const emitter = this.options.emitter;
    if (emitter === undefined || !emitter.hasListeners('request')) return;
    const event = {
      nodeId: this.nodeId,
      api: apiName(entry.api),
      correlationId,
      durationMs: Date.now() - entry.startedAtMs,
      requestBytes: entry.requestBytes,
    };
    const code = error instanceof TributaryClientError ? error.code : 'UNKNOWN';
    emitter.emit('request', error === undefined ? event : { ...event, error: code });
  }

  /** Marks the connection closed and rejects everything waiting on it, once. */
  private fail(error: TributaryClientError): void {
    if (this.closeError !== undefined) return;
    this.closeError = error;
    for (const correlationId of [...this.pending.keys()])
      this.settle(correlationId, undefined, error);
    assert(this.pending.size === 0, 'pending requests remain after close');
    this.slots.close(error);
    for (const listener of this.closeListeners) listener(error);
    this.closeListeners.clear();
    this.options.emitter?.emit('disconnect', {
      nodeId: this.nodeId,
      host: this.host,
      port: this.port,
      reason: error.message,
    });
  }
}

function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

function openSocket(options: ConnectionOptions, signal?: AbortSignal): Promise<WebSocket> {
  // Brackets around an IPv6 host, as URLs need them.
  const address = formatBrokerAddress(options);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let socket: WebSocket;
    try {
      socket = new WebSocket(`ws://${address}/`, {
        perMessageDeflate: false,
        maxPayload: frameBytesMax,
        handshakeTimeout: options.connectTimeoutMs,
        // An all-zero mask lets ws skip masking (a pass over every frame). Masking protects
        // browser traffic through caching proxies; it buys nothing between servers.
        generateMask: zeroMask,
      });
    } catch (cause) {
      // An address that makes no URL (a broker's metadata may name any host).
      const reason = cause instanceof Error ? cause.message : String(cause);
      reject(new ConnectionError(`cannot connect to ${address}: ${reason}`, cause));
      return;
    }
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('open', onOpen);
      socket.off('error', onError);
    };
    const onOpen = () => {
      cleanup();
      resolve(socket);
    };
    const onError = (cause: Error) => {
      cleanup();
      socket.on('error', () => {}); // terminating a connecting socket emits one more error
      socket.terminate();
      reject(new ConnectionError(`cannot connect to ${address}: ${cause.message}`, cause));
    };
    const onAbort = () => {
      cleanup();
      socket.on('error', () => {});
      socket.terminate();
      reject(signal?.reason);
    };
    const timer = setTimeout(
      () => onError(new Error(`no connection in ${options.connectTimeoutMs} ms`)),
      options.connectTimeoutMs,
    );
    socket.once('open', onOpen);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exposed for tests: the API registry this client build speaks. */
export const supportedApis = apiDefinitions;
