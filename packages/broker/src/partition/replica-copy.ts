/**
 * Rebuilds a partition replica's log from its leader, after the replica was sent a Raft
 * snapshot (it was too far behind, or is new and the leader's Raft log is compacted). A
 * partition's snapshot holds only its apply checkpoint (offsets and producer state); the
 * records themselves are copied from the leader's partition log, batch by batch, keeping
 * their offsets, up to the snapshot's end offset.
 */
import { rm } from 'node:fs/promises';
import { RecordBatchView } from '@tributary/protocol';
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

export async function rebuildLogFromLeader(options: {
  readonly directory: string;
  readonly config: LogConfig;
  readonly image: ApplyCheckpoint;
  readonly source: CopySource;
}): Promise<PartitionLog> {
  const { image, source } = options;
  let start = Math.min(image.logStartOffset, image.nextOffset);
  let first = start < image.nextOffset ? await source(start, copyReadBytes) : undefined;
  if (first?.belowStart) {
    start = Math.min(first.logStartOffset, image.nextOffset);
    first = start < image.nextOffset ? await source(start, copyReadBytes) : undefined;
  }
  await rm(options.directory, { recursive: true, force: true });
  const log = await PartitionLog.open({
    directory: options.directory,
    config: options.config,
    initialOffset: start,
  });
  let read = first;
  while (log.logEndOffset < image.nextOffset) {
    if (!read || read.batches.length === 0) {
      await log.close();
      throw new ReplicaFencedError(
        `the leader has no records from ${log.logEndOffset} to ${image.nextOffset} to copy`,
      );
    }
    for (const bytes of read.batches) {
      if (new RecordBatchView(bytes).baseOffset >= image.nextOffset) break;
      await log.appendCopied(Uint8Array.from(bytes));
    }
    if (log.logEndOffset < image.nextOffset) read = await source(log.logEndOffset, copyReadBytes);
  }
  if (log.logEndOffset !== image.nextOffset) {
    await log.close();
    throw new ReplicaFencedError(
      `copied log ends at ${log.logEndOffset}, not at the snapshot's ${image.nextOffset}`,
    );
  }
  return log;
}
