/**
 * Why a PostgreSQL source waits before it reads past a row: transactions commit in a
 * different order than they drew their ids (or stamped their updated-at). If the source
 * saw id 7 and moved past it while the transaction holding id 6 was still open, id 6 would
 * never be read. So each poll takes a snapshot (`pg_current_snapshot()`: the transactions
 * in progress) and the last row visible in it (the bound). Rows up to that bound are final
 * once every transaction in progress at that snapshot has ended: a transaction starting
 * later draws larger ids and later timestamps. Until then only rows up to an earlier bound
 * whose transactions have all ended are read.
 *
 * Pure logic: snapshots arrive as PostgreSQL's text form `xmin:xmax:xip,xip,...`.
 */
import { ExternalSystemError } from '../../errors.ts';

export interface Snapshot {
  /** Every transaction before this one has ended. */
  readonly xmin: bigint;
  /** Every transaction from this one on had not started. */
  readonly xmax: bigint;
  /** Transactions in progress (between xmin and xmax). */
  readonly inProgress: readonly bigint[];
}

const snapshotPattern = /^(\d+):(\d+):([\d,]*)$/;

export function parseSnapshot(text: string): Snapshot {
  const match = snapshotPattern.exec(text);
  if (match === null)
    throw new ExternalSystemError(`unexpected pg_current_snapshot() ${JSON.stringify(text)}`, {
      retriable: false,
    });
  const inProgress = match[3] === '' ? [] : match[3]!.split(',').map((xid) => BigInt(xid));
  return { xmin: BigInt(match[1]!), xmax: BigInt(match[2]!), inProgress };
}

/** Whether `xid` had ended (committed or aborted) when `snapshot` was taken. */
export function hasEnded(xid: bigint, snapshot: Snapshot): boolean {
  return xid < snapshot.xmin || (xid < snapshot.xmax && !snapshot.inProgress.includes(xid));
}

interface Probe<B> {
  readonly waitFor: readonly bigint[];
  readonly bound: B;
}

/** Probes kept while transactions stay open; beyond, the newest is replaced (still sound). */
const probesMax = 64;

export class VisibilityFence<B> {
  private probes: Probe<B>[] = [];
  private confirmed: B | undefined;

  /**
   * Records this poll's snapshot and the bound visible in it, and answers the bound that
   * is final now (undefined: none yet).
   */
  observe(snapshot: Snapshot, bound: B | undefined): B | undefined {
    let lastEnded = -1;
    this.probes.forEach((probe, index) => {
      if (probe.waitFor.every((xid) => hasEnded(xid, snapshot))) lastEnded = index;
    });
    if (lastEnded >= 0) {
      // Probes are in poll order: the last one whose transactions ended has the latest bound,
      // and the open ones before it are covered by it.
      this.confirmed = this.probes[lastEnded]!.bound;
      this.probes = this.probes.slice(lastEnded + 1);
    }
    if (bound !== undefined) {
      if (snapshot.inProgress.length === 0) {
        this.confirmed = bound;
        this.probes = [];
      } else {
        const probe = { waitFor: snapshot.inProgress, bound };
        if (this.probes.length >= probesMax) this.probes[this.probes.length - 1] = probe;
        else this.probes.push(probe);
      }
    }
    return this.confirmed;
  }

  get pendingProbes(): number {
    return this.probes.length;
  }
}
