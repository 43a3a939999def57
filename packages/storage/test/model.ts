/**
 * The in-memory model the property tests check the log against: the records that must be
 * there (by offset), where the log starts and ends, and what was made durable. The rules
 * for what compaction, retention and crashes may change are written here once, in the
 * plainest terms, independently of the implementation.
 */
import type { LogConfig, SegmentInfo } from '../src/index.ts';
import type { DecodedRecord, SimpleRecord } from './helpers.ts';

export interface ModelBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
}

export class LogModel {
  /** Records the log holds, keyed by offset. */
  records = new Map<number, DecodedRecord>();
  batches: ModelBatch[] = [];
  logStart = 0;
  logEnd = 0;
  durable = 0;

  append(records: readonly SimpleRecord[]): ModelBatch {
    const batch = { baseOffset: this.logEnd, lastOffset: this.logEnd + records.length - 1 };
    records.forEach((record, i) => {
      const { key, value, timestamp } = record;
      this.records.set(this.logEnd + i, { offset: this.logEnd + i, key, value, timestamp });
    });
    this.batches.push(batch);
    this.logEnd = batch.lastOffset + 1;
    return batch;
  }

  present(): DecodedRecord[] {
    return [...this.records.values()].sort((a, b) => a.offset - b.offset);
  }

  truncate(offset: number): void {
    for (const at of [...this.records.keys()]) if (at >= offset) this.records.delete(at);
    this.batches = this.batches.filter((batch) => batch.baseOffset < offset);
    this.logEnd = offset;
    this.durable = Math.min(this.durable, offset);
  }

  dropBelow(offset: number): void {
    for (const at of [...this.records.keys()]) if (at < offset) this.records.delete(at);
    this.batches = this.batches.filter((batch) => batch.lastOffset >= offset);
    this.logStart = offset;
  }

  /** Offsets where a truncation is allowed: batch boundaries and the end. */
  cutPoints(): number[] {
    const points = this.batches.map((batch) => batch.baseOffset).filter((o) => o >= this.logStart);
    points.push(this.logEnd);
    return points;
  }

  /** An offset strictly inside a multi-record batch, if there is one. */
  insideBatch(): number | null {
    const batch = this.batches.find(
      (b) => b.lastOffset > b.baseOffset && b.baseOffset >= this.logStart,
    );
    return batch === undefined ? null : batch.baseOffset + 1;
  }

  /** Adopts what the log was observed to hold (after a check said it was allowed). */
  adopt(
    observed: { records: readonly DecodedRecord[]; batches: readonly ModelBatch[] },
    logStart: number,
    logEnd: number,
  ): void {
    this.records = new Map(observed.records.map((record) => [record.offset, record]));
    this.batches = [...observed.batches];
    this.logStart = logStart;
    this.logEnd = logEnd;
    this.durable = Math.min(this.durable, logEnd);
  }
}

/** Why the model refuses an observation; null when it is allowed. */
export type Verdict = string | null;

function show(record: DecodedRecord): string {
  const { offset, key, value, timestamp } = record;
  return JSON.stringify({ offset, key, value, timestamp });
}

/** Every observed record must be exactly the model's record at that offset. */
export function checkSubset(model: LogModel, observed: readonly DecodedRecord[]): Verdict {
  let previous = -1;
  for (const record of observed) {
    if (record.offset <= previous) return `offsets not increasing at ${record.offset}`;
    previous = record.offset;
    const expected = model.records.get(record.offset);
    if (expected === undefined) return `phantom record ${show(record)}`;
    if (show(expected) !== show(record))
      return `record ${show(record)} should be ${show(expected)}`;
  }
  return null;
}

export function checkExact(
  model: LogModel,
  observed: readonly DecodedRecord[],
  end = model.logEnd,
): Verdict {
  const expected = model.present().filter((record) => record.offset < end);
  if (observed.length !== expected.length) {
    return `observed ${observed.length} records, model has ${expected.length}: ${observed.map((r) => r.offset)} vs ${expected.map((r) => r.offset)}`;
  }
  return checkSubset(model, observed);
}

export interface CompactionRules {
  /** Records at or past this offset (the active segment then) must all survive. */
  readonly activeBase: number;
  readonly nowMs: number;
  readonly deleteRetentionMs: number;
}

/**
 * What compaction may have removed from [start, end), and the one thing it must never do:
 * bring back an older value of a key whose latest record (a tombstone) it removed.
 */
export function checkCompaction(
  model: LogModel,
  observed: readonly DecodedRecord[],
  rules: CompactionRules,
  range: { start: number; end: number },
): Verdict {
  const subset = checkSubset(model, observed);
  if (subset !== null) return subset;
  const kept = new Set(observed.map((record) => record.offset));
  const candidates = model.present().filter((r) => r.offset >= range.start && r.offset < range.end);
  for (const record of candidates) {
    if (kept.has(record.offset)) continue;
    if (record.offset >= rules.activeBase) return `removed ${show(record)} from the active segment`;
    if (record.key === null) return `removed ${show(record)}, which has no key`;
    const superseded = candidates.some(
      (later) =>
        later.key === record.key && later.offset > record.offset && later.offset < rules.activeBase,
    );
    const expiredTombstone =
      record.value === null && record.timestamp + rules.deleteRetentionMs <= rules.nowMs;
    if (!superseded && !expiredTombstone) return `removed ${show(record)} without cause`;
  }
  const latestByKey = new Map<string, DecodedRecord>();
  for (const record of candidates) if (record.key !== null) latestByKey.set(record.key, record);
  for (const [key, latest] of latestByKey) {
    if (kept.has(latest.offset)) continue;
    const resurrected = observed.find((record) => record.key === key);
    if (resurrected !== undefined) {
      return `key ${key}: latest ${show(latest)} removed but older ${show(resurrected)} remains`;
    }
  }
  return null;
}

/** After a full pass with a large enough key map: one record per key in closed segments. */
export function checkCompactedFully(
  observed: readonly DecodedRecord[],
  rules: CompactionRules,
): Verdict {
  const seen = new Set<string>();
  for (const record of observed) {
    if (record.offset >= rules.activeBase || record.key === null) continue;
    if (seen.has(record.key)) return `key ${record.key} appears twice below ${rules.activeBase}`;
    seen.add(record.key);
    if (record.value === null && record.timestamp + rules.deleteRetentionMs <= rules.nowMs) {
      return `expired tombstone ${show(record)} survived`;
    }
  }
  return null;
}

/** The log start retention should reach, from the segments as they were before the pass. */
export function expectedRetentionStart(
  segments: readonly SegmentInfo[],
  config: Pick<LogConfig, 'retentionMs' | 'retentionBytes' | 'cleanupPolicy'>,
  nowMs: number,
): number {
  if (config.cleanupPolicy === 'compact') return segments[0]!.baseOffset;
  const closed = segments.filter((segment) => !segment.active);
  let total = segments.reduce((sum, segment) => sum + segment.sizeBytes, 0);
  let deleted = 0;
  for (const segment of closed) {
    const timeExpired =
      config.retentionMs >= 0 &&
      (segment.maxTimestamp < 0 || nowMs - segment.maxTimestamp > config.retentionMs);
    if (!timeExpired) break;
    total -= segment.sizeBytes;
    deleted += 1;
  }
  while (
    config.retentionBytes >= 0 &&
    deleted < closed.length &&
    total - closed[deleted]!.sizeBytes >= config.retentionBytes
  ) {
    total -= closed[deleted]!.sizeBytes;
    deleted += 1;
  }
  return segments[deleted]!.baseOffset;
}
