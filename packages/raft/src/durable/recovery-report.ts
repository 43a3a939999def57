/**
 * What `RaftWal.open` found and decided, for the host (which groups to start, fenced or
 * not, and with which voting fence) and for the operator (logged once at open).
 */
import type { GroupId } from '../core/types.ts';
import type { RaftStorageError } from './errors.ts';
import type { GroupRecovery } from './group-storage.ts';

export interface WalLogger {
  warn(event: string, fields: Record<string, unknown>): void;
  info?(event: string, fields: Record<string, unknown>): void;
}

export interface WalRecoveryReport {
  readonly groups: ReadonlyMap<GroupId, GroupRecovery>;
  /** Bytes cut off the end of the last segment (a torn or damaged tail). */
  readonly truncatedBytes: number;
  readonly staleSegmentsRemoved: number;
  /** The WAL ends before the position last recorded as fsynced: bytes were lost. */
  readonly endsBeforeSyncedPosition: boolean;
  readonly acknowledgedFileFound: boolean;
  readonly acknowledgedDamagedPairs: number;
  /** Damage that fenced every group (a lost segment, unreadable bytes mid-log). */
  readonly nodeFault: RaftStorageError | undefined;
  readonly recordsReplayed: number;
}

export function logRecovery(logger: WalLogger, report: WalRecoveryReport): void {
  if (report.truncatedBytes > 0)
    logger.warn('wal-tail-truncated', { bytes: report.truncatedBytes });
  if (report.nodeFault !== undefined)
    logger.warn('wal-corrupt', { error: report.nodeFault.message });
  for (const recovery of report.groups.values()) {
    if (recovery.fault !== undefined) {
      logger.warn('wal-group-fenced', { group: recovery.group, error: recovery.fault.message });
    } else if (recovery.votingDisabledUntilIndex > 0 || recovery.reasons.length > 0) {
      logger.warn('wal-group-amnesia', {
        group: recovery.group,
        lastIndex: recovery.lastIndex,
        votingDisabledUntilIndex: recovery.votingDisabledUntilIndex,
        reasons: recovery.reasons,
      });
    }
  }
}
