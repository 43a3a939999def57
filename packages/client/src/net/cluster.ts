/**
 * The cluster as the client sees it: bootstrap addresses, one connection per broker,
 * a metadata cache (refreshed on a timer, on demand, and after errors that mean it is
 * stale), routing to partition leaders and group coordinators, and the retry loop.
 *
 * Errors that make the cache stale: NOT_LEADER_OR_FOLLOWER (its leader hint is adopted at
 * once when the hinted broker is known), UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE,
 * BROKER_NOT_AVAILABLE, connection errors and request timeouts. Coordinator errors
 * (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE) forget the group's coordinator.
 */

import {
  Api,
  ErrorCode,
  type ErrorCodeInfo,
  errorCodeInfo,
  type MetadataResponse,
  type RequestOf,
  type ResponseOf,
} from '@tributary/protocol';
import { abortable, CallScope, Cancellation, sleep } from '../abort.ts';
import { backoffDelayMs } from '../backoff.ts';
import {
  ClientClosedError,
  ConnectionError,
  protocolError,
  RequestTimeoutError,
  StaleMetadataError,
  TributaryClientError,
  TributaryProtocolError,
} from '../errors.ts';
import type { ClientEmitter } from '../instrumentation.ts';
import type { Logger } from '../logger.ts';
import { type RetryPolicy, retrying } from '../retry.ts';
import { type BrokerAddress, formatBrokerAddress, parseBrokerAddress } from './broker-address.ts';
import { Connection } from './connection.ts';
import { MetadataCache } from './metadata-cache.ts';

export interface ClusterOptions {
  readonly clientId: string;
  readonly brokers: readonly string[];
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly inflightRequestsMax: number;
  readonly metadataMaxAgeMs: number;
  /** How long a topic missing from metadata is waited for before UNKNOWN_TOPIC_OR_PARTITION. */
  readonly unknownTopicWaitMs: number;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  readonly emitter: ClientEmitter;
}

const staleMetadataErrors = new Set<number>([
  ErrorCode.NotLeader.code,
  ErrorCode.UnknownTopicOrPartition.code,
  ErrorCode.LeaderNotAvailable.code,
  ErrorCode.BrokerNotAvailable.code,
]);

const coordinatorErrors = new Set<number>([
  ErrorCode.NotCoordinator.code,
  ErrorCode.CoordinatorNotAvailable.code,
]);

export class Cluster {
  readonly metadata = new MetadataCache();
  readonly options: ClusterOptions;
  private readonly bootstrap: readonly BrokerAddress[];
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly trackedTopics = new Set<string>();
  private trackAllTopics = false;
  private refreshing: Promise<void> | undefined;
  private stale = true;
  private readonly coordinators = new Map<string, number>();
  /** Ended by `close()`: every waiting call of this client listens to it. */
  private readonly closer = new Cancellation();
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private nextBrokerIndex = 0;
  private pendingRefresh: Promise<void> | undefined;
  private lastRefreshStartMs = 0;
  /** The highest metadata log index this client has seen; Metadata asks for at least it. */
  private metadataIndexSeen = 0;

  constructor(options: ClusterOptions) {
    if (options.brokers.length === 0) {
      throw new TributaryClientError('INVALID_ARGUMENT', 'no bootstrap brokers given', {
        retriable: false,
      });
    }
    this.options = options;
    this.bootstrap = options.brokers.map(parseBrokerAddress);
  }

  get closed(): boolean {
    return this.closer.aborted;
  }

  /** Aborts when the client closes (a real AbortSignal, made on first use). */
  get closeSignal(): AbortSignal {
    return this.closer.signal;
  }

  /** The same as `closeSignal`, cheaper to listen to: scopes end `within` it. */
  get lifetime(): Cancellation {
    return this.closer;
  }

  get logger(): Logger {
    return this.options.logger;
  }

  /** A scope for one public call, bounded by its options and ended by `close()`. */
  scope(what: string, options: { signal?: AbortSignal; timeoutMs?: number }, defaultMs: number) {
    this.throwIfClosed();
    return new CallScope(what, options, defaultMs, this.closer);
  }

  /** Runs `attempt` with retries on retriable errors, reacting to what they say. */
  retry<T>(scope: CallScope, attempt: (attemptNumber: number) => Promise<T>): Promise<T> {
    return retrying(scope, this.options.retry, attempt, {
      closeSignal: this.closer,
      onRetriable: (error, attemptNumber) => {
        this.noteError(error);
        this.logger.debug('retrying', { what: scope.what, attemptNumber, error: error.message });
      },
    });
  }

  /** Learns what an error says about the cluster: stale metadata, a moved coordinator. */
  noteError(error: unknown, context: { groupId?: string } = {}): void {
    if (error instanceof ConnectionError || error instanceof RequestTimeoutError) {
      this.stale = true;
      if (context.groupId !== undefined) this.coordinators.delete(context.groupId);
      return;
    }
    if (!(error instanceof TributaryProtocolError)) return;
    if (staleMetadataErrors.has(error.errorCode)) this.stale = true;
    if (coordinatorErrors.has(error.errorCode) && context.groupId !== undefined) {
      this.coordinators.delete(context.groupId);
    }
  }

  /** Bootstraps: fetches metadata once and starts the periodic refresh. */
  async connect(scope: CallScope): Promise<void> {
    await this.retry(scope, () => this.refreshMetadata(scope));
    if (this.refreshTimer === undefined) {
      this.refreshTimer = setInterval(
        () => this.backgroundRefresh(),
        this.options.metadataMaxAgeMs,
      );
      this.refreshTimer.unref();
    }
  }

  markStale(): void {
    this.stale = true;
  }

  /** Whether an error said the cached metadata is out of date. */
  get isStale(): boolean {
    return this.stale;
  }

  /**
   * Refreshes metadata in the background, at most once per initial backoff interval; the
   * promise settles (never rejects) when the refresh is over. For the producer's sender and
   * the consumer's fetcher, which must not wait on metadata in their loops.
   */
  refreshSoon(): Promise<void> {
    if (this.pendingRefresh !== undefined) return this.pendingRefresh;
    const waitMs = Math.max(
      0,
      this.lastRefreshStartMs + this.options.retry.backoffMsInitial - Date.now(),
    );
    this.pendingRefresh = sleep(waitMs, this.closer)
      .then(async () => {
        this.lastRefreshStartMs = Date.now();
        const scope = new CallScope(
          'metadata refresh',
          {},
          this.options.requestTimeoutMs,
          this.closer,
        );
        try {
          await this.refreshMetadata(scope);
        } finally {
          scope.dispose();
        }
      })
      .catch((error: unknown) => {
        if (!this.closed) this.logger.debug('metadata refresh failed', { error });
      })
      .finally(() => {
        this.pendingRefresh = undefined;
      });
    return this.pendingRefresh;
  }

  /** Adds topics to those whose metadata is kept; `'all'` keeps every topic (patterns). */
  track(topics: Iterable<string> | 'all'): void {
    if (topics === 'all') {
      if (!this.trackAllTopics) this.stale = true;
      this.trackAllTopics = true;
      return;
    }
    for (const topic of topics) {
      if (!this.trackedTopics.has(topic)) this.stale = true;
      this.trackedTopics.add(topic);
    }
  }

  /** Fetches metadata now (one request at a time, shared by concurrent callers). */
  async refreshMetadata(scope: CallScope): Promise<void> {
    this.throwIfClosed();
    if (this.refreshing === undefined) {
      this.refreshing = this.fetchMetadata().finally(() => {
        this.refreshing = undefined;
      });
    }
    await abortable(this.refreshing, scope);
  }

  /** Refreshes when stale or older than the max age; cheap when fresh. */
  async ensureFresh(scope: CallScope): Promise<void> {
    const age = Date.now() - this.metadata.updatedAtMs;
    if (this.stale || age > this.options.metadataMaxAgeMs) await this.refreshMetadata(scope);
  }

  /**
   * Makes sure each topic is known with its partitions. A topic still unknown after
   * `unknownTopicWaitMs` fails with a non-retriable UNKNOWN_TOPIC_OR_PARTITION.
   */
  async ensureTopics(topics: readonly string[], scope: CallScope): Promise<void> {
    this.track(topics);
    const startedAtMs = Date.now();
    for (let attempt = 0; ; attempt += 1) {
      await this.ensureFresh(scope);
      const missing = topics.filter((topic) => this.metadata.partitionCount(topic) === undefined);
      if (missing.length === 0) return;
      if (Date.now() - startedAtMs >= this.options.unknownTopicWaitMs) {
        throw unknownTopics(missing, this.metadata);
      }
      this.stale = true;
      await this.retryPause(attempt, scope);
    }
  }

  /** The leader of a partition; throws a retriable error when none is known. */
  leaderOf(topic: string, partition: number): number {
    const leader = this.metadata.leaderOf(topic, partition);
    if (leader < 0) {
      this.stale = true;
      throw protocolError(ErrorCode.LeaderNotAvailable.code, `${topic}/${partition}`);
    }
    return leader;
  }

  /** Records a NOT_LEADER answer: adopt its hint if usable, and refresh soon regardless. */
  noteNotLeader(topic: string, partition: number, leaderHint: number | undefined): void {
    this.stale = true;
    if (leaderHint !== undefined) this.metadata.hintLeader(topic, partition, leaderHint);
  }

  /** Sends one request to one broker, within the scope's remaining time. */
  async request<A extends Api>(
    nodeId: number,
    api: A,
    body: RequestOf<A>,
    scope: CallScope,
    extraTimeoutMs = 0,
  ): Promise<ResponseOf<A>> {
    const connection = await this.connectionTo(nodeId, scope);
    const timeoutMs = Math.min(this.options.requestTimeoutMs + extraTimeoutMs, scope.remainingMs());
    try {
      return await connection.request(api, body, { timeoutMs, signal: scope });
    } catch (error) {
      if (error instanceof ConnectionError || error instanceof RequestTimeoutError)
        this.stale = true;
      throw error;
    }
  }

  /** Sends a request that gets no answer (Produce with acks 0). */
  async send<A extends Api>(nodeId: number, api: A, body: RequestOf<A>, scope: CallScope) {
    const connection = await this.connectionTo(nodeId, scope);
    const timeoutMs = Math.min(this.options.requestTimeoutMs, scope.remainingMs());
    await connection.send(api, body, { timeoutMs, signal: scope });
  }

  /** Sends to whichever broker answers first in rotation (metadata, coordinator lookups). */
  async requestAny<A extends Api>(api: A, body: RequestOf<A>, scope: CallScope) {
    const connection = await this.anyConnection(scope);
    const timeoutMs = Math.min(this.options.requestTimeoutMs, scope.remainingMs());
    return connection.request(api, body, { timeoutMs, signal: scope });
  }

  /** Notes the metadata index an administration answer carried (CreateTopics and the like). */
  noteMetadataIndex(index: number | undefined): void {
    if (index !== undefined && index > this.metadataIndexSeen) this.metadataIndexSeen = index;
  }

  /**
   * Metadata from any broker, never older than any this client has seen, so a topic it has
   * created is listed wherever it asks next: the request names the highest index seen, and a
   * broker whose copy trails waits for it. One still behind after that is refused as stale
   * (retriable; the next attempt goes to another broker).
   */
  async requestMetadata(topics: string[] | null, scope: CallScope): Promise<MetadataResponse> {
    const wanted = this.metadataIndexSeen;
    const body = wanted > 0 ? { topics, minMetadataIndex: wanted } : { topics };
    const response = await this.requestAny(Api.Metadata, body, scope);
    const index = response.metadataIndex;
    if (index !== undefined && index < wanted) {
      throw new StaleMetadataError(
        `a broker answered metadata at index ${index}, older than ${wanted} already seen`,
      );
    }
    this.noteMetadataIndex(index);
    return response;
  }

  /** The coordinator of a group, from cache or FindCoordinator. */
  async coordinatorOf(groupId: string, scope: CallScope): Promise<number> {
    const cached = this.coordinators.get(groupId);
    if (cached !== undefined) return cached;
    const response = await this.requestAny(Api.FindCoordinator, { groupId }, scope);
    if (response.error !== ErrorCode.None.code) {
      throw protocolError(response.error, response.message ?? `coordinator of ${groupId}`);
    }
    if (this.metadata.broker(response.nodeId) === undefined) {
      this.metadata.addBroker({
        nodeId: response.nodeId,
        host: response.host,
        port: response.port,
      });
    }
    this.coordinators.set(groupId, response.nodeId);
    return response.nodeId;
  }

  forgetCoordinator(groupId: string): void {
    this.coordinators.delete(groupId);
  }

  async connectionTo(nodeId: number, scope: CallScope): Promise<Connection> {
    const address = this.metadata.broker(nodeId);
    if (address === undefined) {
      this.stale = true;
      throw protocolError(ErrorCode.BrokerNotAvailable.code, `node ${nodeId} is not in metadata`);
    }
    return this.connectionAt(address, scope);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closer.abort(new ClientClosedError('client closed'));
    if (this.refreshTimer !== undefined) clearInterval(this.refreshTimer);
    const connections = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(
      connections.map((pending) =>
        pending.then(
          (connection) => connection.close(new ClientClosedError('client closed')),
          () => {},
        ),
      ),
    );
  }

  private async fetchMetadata(): Promise<void> {
    const topics = this.trackAllTopics ? null : [...this.trackedTopics];
    const scope = new CallScope('metadata refresh', {}, this.options.requestTimeoutMs, this.closer);
    try {
      const response = await this.requestMetadata(topics, scope);
      this.metadata.apply(response, topics, Date.now());
      this.stale = false;
    } finally {
      scope.dispose();
    }
  }

  private backgroundRefresh(): void {
    const scope = new CallScope('metadata refresh', {}, this.options.requestTimeoutMs);
    this.refreshMetadata(scope)
      .catch((error: unknown) => {
        if (!this.closed) this.logger.warn('background metadata refresh failed', { error });
      })
      .finally(() => scope.dispose());
  }

  private async retryPause(attempt: number, scope: CallScope): Promise<void> {
    await sleep(Math.min(backoffDelayMs(attempt, this.options.retry), scope.remainingMs()), scope);
  }

  /** Candidates for "any broker": open connections first, then known brokers, then bootstrap. */
  private candidates(): BrokerAddress[] {
    const known = this.metadata.brokerIds().map((id) => this.metadata.broker(id)!);
    const all = [...known, ...this.bootstrap];
    const seen = new Set<string>();
    const unique = all.filter((address) => {
      const key = formatBrokerAddress(address);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const start = this.nextBrokerIndex++ % unique.length;
    const rotated = [...unique.slice(start), ...unique.slice(0, start)];
    const open = rotated.filter((address) => this.connections.has(formatBrokerAddress(address)));
    return [...open, ...rotated.filter((address) => !open.includes(address))];
  }

  private async anyConnection(scope: CallScope): Promise<Connection> {
    let lastError: unknown;
    for (const address of this.candidates()) {
      try {
        return await this.connectionAt(address, scope);
      } catch (error) {
        if (scope.aborted || this.closed) throw error;
        lastError = error;
      }
    }
    throw lastError instanceof TributaryClientError
      ? lastError
      : new ConnectionError('no broker reachable', lastError);
  }

  private connectionAt(address: BrokerAddress, scope: CallScope): Promise<Connection> {
    this.throwIfClosed();
    const key = formatBrokerAddress(address);
    let pending = this.connections.get(key);
    if (pending === undefined) {
      const opening = this.open(address);
      pending = opening;
      this.connections.set(key, opening);
      // Forget the entry when the attempt fails or the connection later closes, unless a
      // newer attempt replaced it meanwhile.
      const forget = () => {
        if (this.connections.get(key) === opening) this.connections.delete(key);
        this.stale = true;
      };
      opening.then((connection) => connection.onClose(forget), forget);
    }
    return abortable(pending, scope);
  }

  private open(address: BrokerAddress): Promise<Connection> {
    return Connection.open(
      {
        host: address.host,
        port: address.port,
        clientId: this.options.clientId,
        connectTimeoutMs: this.options.connectTimeoutMs,
        requestTimeoutMs: this.options.requestTimeoutMs,
        inflightRequestsMax: this.options.inflightRequestsMax,
        logger: this.logger,
        emitter: this.options.emitter,
      },
      this.closeSignal,
    );
  }

  private throwIfClosed(): void {
    if (this.closed) throw new ClientClosedError('client closed');
  }
}

function unknownTopics(
  missing: readonly string[],
  metadata: MetadataCache,
): TributaryProtocolError {
  // A topic the broker reported with its own error (INVALID_TOPIC_EXCEPTION, ...) keeps it.
  const reported =
    metadata.topic(missing[0] ?? '')?.error ?? ErrorCode.UnknownTopicOrPartition.code;
  const code = reported === ErrorCode.None.code ? ErrorCode.UnknownTopicOrPartition.code : reported;
  const info: ErrorCodeInfo = { ...errorCodeInfo(code), retriable: false };
  return new TributaryProtocolError(info, `topic(s) not available: ${missing.join(', ')}`);
}
