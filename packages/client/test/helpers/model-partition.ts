/**
 * A model of one broker partition for producer tests: Kafka's idempotence rules (the same
 * ones the broker's producer-state table applies: five batches remembered per producer,
 * a new epoch starts at sequence 0), then append. Records' values are their ids.
 */
import {
  ErrorCode,
  iterateRecords,
  RecordBatchView,
  splitRecordBatches,
} from '@tributary/protocol';
import { addToSequence } from '../../src/producer/sequence.ts';

interface ProducerEntry {
  epoch: number;
  batches: { first: number; last: number; baseOffset: number }[];
}

export class ModelPartition {
  /** Record values read as numbers (ids), in log order. */
  readonly log: number[] = [];
  /** Record values and keys as text, in log order. */
  readonly entries: { key: string | null; value: string | null }[] = [];
  private readonly producers = new Map<number, ProducerEntry>();
  /** Record ids the broker refuses for good (MESSAGE_TOO_LARGE), before any sequence check. */
  readonly poison = new Set<number>();

  /** Appends every batch of a Produce request's `records`; answers for the first. */
  appendAll(records: Uint8Array): { error: number; baseOffset: number } {
    const results = splitRecordBatches(records).map((batch) => this.append(batch));
    return results[0] ?? { error: ErrorCode.CorruptMessage.code, baseOffset: -1 };
  }

  append(bytes: Uint8Array): { error: number; baseOffset: number } {
    const view = new RecordBatchView(bytes);
    const records = [...iterateRecords(bytes)];
    const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString());
    const ids = records.map((r) => Number(text(r.value)));
    if (ids.some((id) => this.poison.has(id)))
      return { error: ErrorCode.MessageTooLarge.code, baseOffset: -1 };
    const check = this.check(
      view.producerId,
      view.producerEpoch,
      view.baseSequence,
      view.recordCount,
    );
    if (check.error !== 0 || check.duplicateOf !== undefined) {
      return { error: check.error, baseOffset: check.duplicateOf ?? -1 };
    }
    const baseOffset = this.log.length;
    this.log.push(...ids);
    for (const r of records) this.entries.push({ key: text(r.key), value: text(r.value) });
    this.record(
      view.producerId,
      view.producerEpoch,
      view.baseSequence,
      view.recordCount,
      baseOffset,
    );
    return { error: 0, baseOffset };
  }

  forgetProducers(): void {
    this.producers.clear();
  }

  private check(pid: number, epoch: number, seq: number, count: number) {
    const ok = { error: 0 } as { error: number; duplicateOf?: number };
    if (pid < 0) return ok;
    const entry = this.producers.get(pid);
    if (entry === undefined) return seq === 0 ? ok : { error: ErrorCode.UnknownProducerId.code };
    if (epoch < entry.epoch) return { error: ErrorCode.InvalidProducerEpoch.code };
    if (epoch > entry.epoch) return seq === 0 ? ok : { error: ErrorCode.OutOfOrderSequence.code };
    const last = addToSequence(seq, count - 1);
    const duplicate = entry.batches.find((b) => b.first === seq && b.last === last);
    if (duplicate !== undefined)
      return { error: ErrorCode.DuplicateSequence.code, duplicateOf: duplicate.baseOffset };
    const newest = entry.batches[entry.batches.length - 1];
    const expected = newest === undefined ? 0 : addToSequence(newest.last, 1);
    return seq === expected ? ok : { error: ErrorCode.OutOfOrderSequence.code };
  }

  private record(pid: number, epoch: number, seq: number, count: number, baseOffset: number) {
    if (pid < 0) return;
    const existing = this.producers.get(pid);
    const entry = existing && existing.epoch === epoch ? existing : { epoch, batches: [] };
    entry.batches.push({ first: seq, last: addToSequence(seq, count - 1), baseOffset });
    if (entry.batches.length > 5) entry.batches.shift();
    this.producers.set(pid, entry);
  }
}
