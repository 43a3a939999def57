/**
 * A leader's view of one follower, as a small state machine:
 *
 *   probe      the leader does not know where the follower's log matches its own. It sends
 *              one append at a time (then waits for the reply or the next heartbeat reply)
 *              and backs off on rejection, skipping a whole term per round trip using the
 *              follower's hint.
 *   replicate  the follower matched; the leader streams appends optimistically (next moves
 *              ahead as soon as an append is sent), bounded by the inflight window.
 *   snapshot   the entries the follower needs were compacted; the leader streams the
 *              snapshot image in chunks and sends nothing else until it is installed.
 *
 *   probe --append acknowledged--> replicate --rejection--> probe
 *   any --needed entries compacted--> snapshot --installed or silence--> probe
 *
 * Silence in probe or replicate sends a tail probe (an append without entries, see
 * replication.ts), never the entries again: only its refusal proves something was lost.
 *
 * `match` is what the follower has made durable (acknowledgements leave the follower only
 * after its fsync), so it is also the "persisted on that replica" index that acks=all
 * needs. It only grows, except when a follower reports that its disk lost entries it had
 * acknowledged; then the leader lowers it to what the follower still holds.
 */
import type { Inflights } from './inflights.ts';
import type { Snapshot } from './types.ts';

export const ProgressState = {
  Probe: 'probe',
  Replicate: 'replicate',
  Snapshot: 'snapshot',
} as const;
export type ProgressState = (typeof ProgressState)[keyof typeof ProgressState];

/** The snapshot being streamed to a follower, and how far the stream got. */
export interface SnapshotSend {
  readonly snapshot: Snapshot;
  /** Bytes of the image sent (chunks go out in order from here). */
  sentOffset: number;
  /** The highest offset the follower said it holds. */
  ackedOffset: number;
  /** The acked offset we last rewound to, so duplicates cannot cause a resend storm. */
  rewoundAt: number;
  /** For an empty image: whether its single (empty, final) chunk went out. */
  emptySent: boolean;
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = ProgressState.Probe;
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** In probe state: an append is out and we wait for its reply (or a heartbeat reply). */
  probeSent = false;
  /** Leader ticks without any reply while appends or snapshot chunks are outstanding. */
  idleTicks = 0;
  /** The commit index we last told this follower (to know whether it needs a new one). */
  commitSent = 0;
  /** Highest read-index round this follower confirmed through a heartbeat reply. */
  readRoundAcked = 0;
  isLearner: boolean;
  readonly inflights: Inflights;
  snapshotSend: SnapshotSend | undefined;

  constructor(options: { next: number; isLearner: boolean; inflights: Inflights }) {
    this.next = options.next;
    this.isLearner = options.isLearner;
    this.inflights = options.inflights;
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
      this.pendingSnapshot = 0;
    } else {
      this.next = this.match + 1;
    }
    this.resetState(ProgressState.Probe);
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.resetState(ProgressState.Replicate);
  }

  becomeSnapshot(send: SnapshotSend): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = send.snapshot.metadata.index;
    this.snapshotSend = send;
  }

  /** Records an acknowledgement of `index`; returns whether match grew. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    if (this.next < index + 1) this.next = index + 1;
    return updated;
  }

  /**
   * Handles a rejection of the append whose previous index was `rejected`; `matchHint` is
   * the highest index where the logs may match. Returns false for a stale rejection.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotSend = undefined;
    this.idleTicks = 0;
    this.inflights.reset();
  }
}
