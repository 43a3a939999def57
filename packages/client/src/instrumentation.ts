/**
 * Instrumentation events: a small typed emitter. Listeners run synchronously; a listener
 * that throws is logged and otherwise ignored, so instrumentation can never break the client.
 */
import type { Logger } from './logger.ts';

export interface RequestEvent {
  readonly nodeId: number;
  readonly api: string;
  readonly correlationId: number;
  readonly durationMs: number;
  readonly requestBytes: number;
  /** The error code when the request failed, as a `TributaryClientError` code. */
  readonly error?: string;
}

export interface ConnectionEvent {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly reason?: string;
}

export interface RebalanceEvent {
  readonly groupId: string;
  readonly memberId: string;
  readonly generationId: number;
  /** `joining` when a round starts; `assigned` when the member has its new assignment. */
  readonly phase: 'joining' | 'assigned';
  /** Partitions gained and given up in this round (`assigned` phase). */
  readonly assigned?: readonly { topic: string; partition: number }[];
  readonly revoked?: readonly { topic: string; partition: number }[];
  /** Everything the member owns after this round (`assigned` phase). */
  readonly assignment?: readonly { topic: string; partition: number }[];
  readonly durationMs?: number;
}

export interface ErrorEvent {
  readonly source: string;
  readonly error: unknown;
}

export interface CommitEvent {
  readonly groupId: string;
  readonly offsets: readonly { topic: string; partition: number; offset: bigint }[];
}

export interface ClientEvents {
  request: RequestEvent;
  connect: ConnectionEvent;
  disconnect: ConnectionEvent;
  rebalance: RebalanceEvent;
  commit: CommitEvent;
  error: ErrorEvent;
}

export type Listener<T> = (payload: T) => void;

export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  constructor(private readonly logger: Logger) {}

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  hasListeners(event: keyof Events): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        (listener as Listener<Events[K]>)(payload);
      } catch (error) {
        this.logger.error('instrumentation listener threw', { event: String(event), error });
      }
    }
  }
}

export type ClientEmitter = Emitter<ClientEvents>;
