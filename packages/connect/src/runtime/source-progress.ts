/**
 * A source task's bookkeeping between polls and stored offsets, without I/O: sequence
 * numbers handed out, positions to skip after a recovery, the marks (where in each topic
 * partition the task's unstored records can start), and which positions are acknowledged
 * and may be stored. Poll batches are acknowledged in the order they were sent.
 */
import { assert } from '../assert.ts';
import { type JsonValue, positionKey } from '../records.ts';
import type { Mark, StoredSourceOffset } from './offset-store.ts';
import { earliestMarks, type RecoveredPartition } from './source-recovery.ts';

interface PartitionState {
  /** What the offsets topic holds for this source partition. */
  stored: StoredSourceOffset;
  nextSeq: bigint;
  readonly skip: Set<string>;
  /** Acknowledged up to here: every record before `seq` is written, `position` after them. */
  acked: { position: JsonValue; seq: bigint } | undefined;
}

/** What one poll batch moves forward once acknowledged. */
export interface BatchProgress {
  /** Per source partition: the position after its last record in the batch and the next seq. */
  readonly sources: Map<string, { position: JsonValue; nextSeq: bigint }>;
}

export function markId(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class SourceProgress {
  private readonly partitions = new Map<string, PartitionState>();
  private readonly marks = new Map<string, Mark>();

  constructor(
    stored: ReadonlyMap<string, StoredSourceOffset>,
    recovered: ReadonlyMap<string, RecoveredPartition>,
  ) {
    for (const [sourcePartition, offset] of stored) {
      const recovery = recovered.get(sourcePartition);
      if (recovery === undefined) assert(false, `recovered ${sourcePartition}`);
      this.partitions.set(sourcePartition, {
        stored: offset,
        nextSeq: recovery.nextSeq,
        skip: recovery.skip,
        acked: undefined,
      });
    }
    for (const mark of earliestMarks(stored.values()))
      this.marks.set(markId(mark.topic, mark.partition), mark);
  }

  private state(sourcePartition: string): PartitionState {
    const state = this.partitions.get(sourcePartition);
    if (state === undefined) assert(false, `unknown source partition ${sourcePartition}`);
    return state;
  }

  /** Whether a record read again after a recovery is in the topic already (then it is not sent). */
  alreadyWritten(sourcePartition: string, position: JsonValue): boolean {
    return this.state(sourcePartition).skip.delete(positionKey(position));
  }

  takeSeq(sourcePartition: string): bigint {
    const state = this.state(sourcePartition);
    const seq = state.nextSeq;
    state.nextSeq += 1n;
    return seq;
  }

  nextSeq(sourcePartition: string): bigint {
    return this.state(sourcePartition).nextSeq;
  }

  hasMark(topic: string, partition: number): boolean {
    return this.marks.has(markId(topic, partition));
  }

  /** A first write to a topic partition: every stored offset must carry its mark before it. */
  addMark(mark: Mark): [string, StoredSourceOffset][] {
    this.marks.set(markId(mark.topic, mark.partition), mark);
    return [...this.partitions].map(([sourcePartition, state]) => {
      state.stored = { ...state.stored, marks: [...state.stored.marks, mark] };
      return [sourcePartition, state.stored];
    });
  }

  /** A batch was written: its records' positions are acknowledged, marks move past them. */
  acknowledge(
    batch: BatchProgress,
    ends: readonly { topic: string; partition: number; endOffset: bigint }[],
  ): void {
    for (const end of ends) {
      const id = markId(end.topic, end.partition);
      const mark = this.marks.get(id);
      if (mark === undefined)
        assert(false, `wrote to ${end.topic}/${end.partition} without a mark`);
      if (end.endOffset > mark.offset) this.marks.set(id, { ...mark, offset: end.endOffset });
    }
    for (const [sourcePartition, progress] of batch.sources) {
      this.state(sourcePartition).acked = { position: progress.position, seq: progress.nextSeq };
    }
  }

  /**
   * Offsets worth storing now: acknowledged progress not stored yet. A partition still
   * holding positions to skip is not stored (its stored offset must keep covering them).
   */
  due(): [string, StoredSourceOffset][] {
    const due: [string, StoredSourceOffset][] = [];
    const marks = [...this.marks.values()];
    for (const [sourcePartition, state] of this.partitions) {
      if (state.acked === undefined || state.skip.size > 0) continue;
      if (
        state.acked.seq === state.stored.seq &&
        positionKey(state.acked.position) === positionKey(state.stored.position)
      )
        continue;
      due.push([sourcePartition, { position: state.acked.position, seq: state.acked.seq, marks }]);
    }
    return due;
  }

  stored(sourcePartition: string, offset: StoredSourceOffset): void {
    this.state(sourcePartition).stored = offset;
  }

  skipping(): number {
    let count = 0;
    for (const state of this.partitions.values()) count += state.skip.size;
    return count;
  }
}
