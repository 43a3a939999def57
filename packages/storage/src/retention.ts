/**
 * Which closed segments retention deletes: always a prefix of the log (oldest first), never
 * the active segment, whole segments only. Two rules, applied in Kafka's order:
 *
 * - time (`retentionMs` >= 0): a closed segment goes while its newest batch (its largest
 *   maxTimestamp) is more than `retentionMs` older than now; an empty segment holds nothing
 *   to keep and goes too;
 * - size (`retentionBytes` >= 0): then the oldest closed segments go while the log would
 *   still hold at least `retentionBytes` without them.
 */
import type { LogConfig } from './config.ts';

export interface RetentionCandidate {
  readonly sizeBytes: number;
  readonly maxTimestamp: number;
}

/** How many of `closed` (oldest first) to delete, given the whole log's size. */
export function segmentsToDelete(
  closed: readonly RetentionCandidate[],
  logSizeBytes: number,
  config: Pick<LogConfig, 'retentionMs' | 'retentionBytes'>,
  nowMs: number,
): number {
  let count = 0;
  if (config.retentionMs >= 0) {
    while (count < closed.length) {
      const segment = closed[count]!;
      const expired = segment.maxTimestamp < 0 || nowMs - segment.maxTimestamp > config.retentionMs;
      if (!expired) break;
      count += 1;
    }
  }
  if (config.retentionBytes >= 0) {
    let remaining = logSizeBytes;
    for (let at = 0; at < count; at++) remaining -= closed[at]!.sizeBytes;
    while (count < closed.length && remaining - closed[count]!.sizeBytes >= config.retentionBytes) {
      remaining -= closed[count]!.sizeBytes;
      count += 1;
    }
  }
  return count;
}
