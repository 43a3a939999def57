/**
 * What a partition replica needs of its Raft group: propose, observe, and wait for
 * progress. The multi-raft host provides it; keeping it this narrow keeps the partition
 * logic independent of how groups are hosted.
 */
import type { Entry, Role, Snapshot, SoftState } from '@tributary/raft';

export interface ReplicaGroupStatus {
  readonly role: Role;
  readonly term: number;
  /** The known leader, or 0. */
  readonly leader: number;
  /** Highest index durable on this node's disk. */
  readonly persistedIndex: number;
  /** Leader only: highest index durable on every voter; 0 elsewhere. */
  readonly durableOnAllVotersIndex: number;
  readonly commit: number;
}

export type ProposeOutcome =
  | {
      readonly ok: true;
      readonly indexFirst: number;
      readonly indexLast: number;
      readonly term: number;
    }
  | {
      readonly ok: false;
      readonly error: {
        readonly code: string;
        readonly message: string;
        readonly retriable: boolean;
        readonly leader?: number;
      };
    };

export interface ReplicaGroup {
  readonly id: number;
  /** Set once the host fenced this node's member of the group (storage or apply failed). */
  readonly fault?: Error | undefined;
  propose(data: Uint8Array): ProposeOutcome;
  status(): ReplicaGroupStatus;
  /**
   * Resolves true once `condition` holds (checked now and after each time the host
   * processes this group), false when the timeout passes or the signal aborts first.
   */
  waitUntil(
    condition: (status: ReplicaGroupStatus) => boolean,
    options: { readonly timeoutMs: number; readonly signal?: AbortSignal },
  ): Promise<boolean>;
  /**
   * Takes this node's replica out of the group until the node restarts (it stops leading,
   * voting and acknowledging), so the other replicas elect among themselves: for a replica
   * whose own storage failed.
   */
  fence(error: Error): void;
}

/** The state machine side, called by the host in log order. */
export interface GroupStateMachine {
  /** Applies committed entries (all types, in order). The host waits before advancing. */
  apply(entries: readonly Entry[]): Promise<void>;
  /** Replaces the state with a snapshot's image. */
  restore(snapshot: Snapshot): Promise<void>;
  /** Called when this replica's role or the known leader changes. */
  onSoftState(state: SoftState, term: number): void;
}
