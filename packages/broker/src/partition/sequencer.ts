/**
 * The leader's sequencer: it gives each accepted batch its offsets and checks idempotent
 * producers' sequence numbers before the batch is proposed, against a speculative copy of
 * the producer state that includes the leader's own proposals still in flight.
 *
 * It is built only when everything before the leader's term has been applied (its no-op
 * entry is applied), so at that moment the applied state is complete and the speculative
 * copy starts equal to it. From then on only this leader appends, so the copy stays exact:
 * each entry it proposes is applied, in the same order, to the same state, with the same
 * outcome. If that ever fails to hold the replica fences itself (see PartitionReplica).
 */
import type { RecordBatchView } from '@tributary/protocol';
import type { ProducerStateTable, SequenceCheck } from './producer-state.ts';

export interface InflightBatch {
  readonly index: number;
  readonly term: number;
}

export class LeaderSequencer {
  /** Where the leader's in-flight proposals are, by the base offset they were given. */
  readonly inflightByOffset = new Map<number, InflightBatch>();

  private constructor(
    readonly term: number,
    private readonly producers: ProducerStateTable,
    public nextOffset: number,
  ) {}

  static startTerm(term: number, applied: ProducerStateTable, nextOffset: number): LeaderSequencer {
    return new LeaderSequencer(term, applied.clone(), nextOffset);
  }

  check(batch: RecordBatchView): SequenceCheck {
    return this.producers.check(batch);
  }

  /** Gives the batch its offsets; the caller stamps them and proposes. */
  assign(batch: RecordBatchView): number {
    const baseOffset = this.nextOffset;
    this.producers.record(batch, baseOffset);
    this.nextOffset = baseOffset + batch.lastOffsetDelta + 1;
    return baseOffset;
  }

  noteProposed(baseOffsets: readonly number[], at: InflightBatch): void {
    for (const offset of baseOffsets) this.inflightByOffset.set(offset, at);
  }

  noteApplied(appliedEndOffset: number): void {
    for (const offset of this.inflightByOffset.keys()) {
      if (offset < appliedEndOffset) this.inflightByOffset.delete(offset);
    }
  }
}
