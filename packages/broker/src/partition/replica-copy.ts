/**
 * Rebuilds a partition replica's log from its leader, after the replica was sent a Raft
 * snapshot (it was too far behind, or is new and the leader's Raft log is compacted). A
 * partition's snapshot holds only its apply checkpoint (offsets and producer state); the
 * records themselves are copied from the leader's partition log, batch by batch, keeping
 * their offsets, up to the snapshot's end offset.
 */
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProtocolError, RecordBatchView } from '@tributary/protocol';
import { type LogConfig, PartitionLog } from '@tributary/storage';
import { ReplicaFencedError } from '../errors.ts';
import type { ApplyCheckpoint } from './apply-checkpoint.ts';

export interface CopyRead {
  readonly batches: readonly Uint8Array[];
  /** The source's first offset (its retention may have moved past ours). */
  readonly logStartOffset: number;
  /** True when `offset` was below the source's log start: nothing was read. */
  readonly belowStart: boolean;
}

/** Reads the partition from its current leader (a Fetch); throws when none answers. */
export type CopySource = (offset: number, maxBytes: number) => Promise<CopyRead>;

const copyReadBytes = 4 * 1024 * 1024;

/**
 * How a copy rides out reads that fail for a reason that passes: the leader changed or is
 * still being elected or catching up (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE,
 * OFFSET_NOT_AVAILABLE), a connection was refused or dropped, a request timed out. Any
 * replica holds the same committed records, so the copy goes on from whichever node leads
 * next. It keeps asking until it is done or the replica closes, as a Kafka follower's
 * fetcher does: giving up (it did, after two minutes) left the replica fenced until its node
 * restarted, long after the leader was back. A copy that keeps failing says so in the log
 * every `warnEveryMs`, and `tributary_replicas_restoring` counts it.
 */
export interface CopyRetry {
  /** How often a copy whose reads keep failing reports it (`onStuck`). */
  readonly warnEveryMs: number;
  readonly backoffMsInitial: number;
  readonly backoffMsMax: number;
}

export const copyRetryDefault: CopyRetry = {
  warnEveryMs: 60_000,
  backoffMsInitial: 100,
  backoffMsMax: 2_000,
};

/** What a copy tells its replica while its reads keep failing, and when they stop. */
export interface CopyReports {
  /** Aborted when the replica closes: the copy stops waiting and fails. */
  readonly signal?: AbortSignal;
  /** Each `warnEveryMs` while a read still fails: the latest failure, and for how long. */
  readonly onStuck?: (failure: unknown, failingForMs: number) => void;
  /** Once a read succeeds after `onStuck` was told. */
  readonly onRecovered?: () => void;
}

/** Whether a failed read may succeed if asked again (of the same or the next leader). */
function passes(error: unknown): boolean {
  if (error instanceof ProtocolError) return error.retriable;
  // A socket error (ECONNREFUSED, ECONNRESET...), before any answer could say more.
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/**
 * Records from `offset` (or the source's log start, `belowStart`). An answer without records
 * also passes: a leader just elected may not have applied up to `offset` yet.
 */
async function readRetrying(
  source: CopySource,
  offset: number,
  retry: CopyRetry,
  reports: CopyReports,
): Promise<CopyRead> {
  const { signal } = reports;
  const failingSince = Date.now();
  let nextWarnAt = failingSince + retry.warnEveryMs;
  let reported = false;
  for (let attempt = 0; ; attempt += 1) {
    signal?.throwIfAborted();
    let failure: unknown;
    try {
      const read = await untilAborted(source(offset, copyReadBytes), signal);
      if (read.belowStart || read.batches.length > 0) {
        if (reported) reports.onRecovered?.();
        return read;
      }
      failure = new ReplicaFencedError(`the leader has no records from ${offset} to copy`);
    } catch (error) {
      if (!passes(error)) throw error;
      failure = error;
    }
    const now = Date.now();
    if (now >= nextWarnAt) {
      reported = true;
      reports.onStuck?.(failure, now - failingSince);
      nextWarnAt = now + retry.warnEveryMs;
    }
    const delayMs = Math.min(retry.backoffMsMax, retry.backoffMsInitial * 2 ** attempt);
    // Aborted: fail with the signal's reason (the replica closed), not a bare AbortError.
    await sleep(delayMs * (0.8 + 0.4 * Math.random()), undefined, { signal }).catch(() =>
      signal?.throwIfAborted(),
    );
  }
}

/**
 * `work`, or the signal's reason once it aborts: a replica that closes stops waiting for a
 * read still out (a Fetch may take 30 s to time out), whose answer is then dropped.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export async function rebuildLogFromLeader(
  options: {
    readonly directory: string;
    readonly config: LogConfig;
    readonly image: ApplyCheckpoint;
    readonly source: CopySource;
    readonly retry?: CopyRetry;
    /** Told when the log end moves across offsets the leader holds no records for. */
    readonly onGap?: (from: number, to: number) => void;
  } & CopyReports,
): Promise<PartitionLog> {
  const { image } = options;
  const retry = options.retry ?? copyRetryDefault;
  const read = (offset: number) => readRetrying(options.source, offset, retry, options);
  let start = Math.min(image.logStartOffset, image.nextOffset);
  let first = start < image.nextOffset ? await read(start) : undefined;
  if (first?.belowStart) {
    start = Math.min(first.logStartOffset, image.nextOffset);
    first = start < image.nextOffset ? await read(start) : undefined;
  }
  await rm(options.directory, { recursive: true, force: true });
  const log = await PartitionLog.open({
    directory: options.directory,
    config: options.config,
    initialOffset: start,
  });
  try {
    let chunk = first;
    while (log.logEndOffset < image.nextOffset) {
      if (!chunk || chunk.batches.length === 0) {
        throw new ReplicaFencedError(
          `the leader has no records from ${log.logEndOffset} to ${image.nextOffset} to copy`,
        );
      }
      const endBefore = log.logEndOffset;
      for (const bytes of chunk.batches) {
        if (new RecordBatchView(bytes).baseOffset >= image.nextOffset) break;
        await log.appendCopied(Uint8Array.from(bytes));
      }
      if (log.logEndOffset === endBefore) {
        // The leader's next batch starts at or past the snapshot's end: the records between
        // are gone there (compacted away; the topic may be `delete` now but was compacted
        // once). Asking again gets the same answer (this looped, found by review). The
        // copy mirrors what the leader serves: the log ends at the snapshot's offset
        // across the gap, as compaction leaves offsets unused anyway.
        options.onGap?.(endBefore, image.nextOffset);
        await log.advanceCopiedEnd(image.nextOffset);
        break;
      }
      if (log.logEndOffset < image.nextOffset) chunk = await read(log.logEndOffset);
    }
    if (log.logEndOffset !== image.nextOffset) {
      throw new ReplicaFencedError(
        `copied log ends at ${log.logEndOffset}, not at the snapshot's ${image.nextOffset}`,
      );
    }
  } catch (error) {
    // A copy that fails (or is stopped by the replica closing) leaves no log open. What it
    // copied stays: removing it here could remove a newer replica's directory, made while a
    // cancelled copy's last read was still out (found by review). At the next start the
    // replica manager sets such a partial copy aside (a log past its checkpoint) and the
    // replica is rebuilt from its snapshot; a node killed mid-copy leaves the same.
    await log.close().catch(() => {});
    throw error;
  }
  return log;
}
