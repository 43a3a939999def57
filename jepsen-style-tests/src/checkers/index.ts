/** Every checker by name, and a function that runs a chosen set over one history. */
import type { History } from '../history/operation.ts';
import { checkAbortedReads } from './aborted-read.ts';
import type { Checker, CheckerName, CheckResult } from './check-result.ts';
import { checkCommittedUndelivered } from './committed-undelivered.ts';
import { checkDoubleOwnership } from './double-ownership.ts';
import { checkDuplicates } from './duplicate.ts';
import { checkInconsistentOffsets } from './inconsistent-offsets.ts';
import { checkLostWrites } from './lost-write.ts';
import { checkMetadataDivergence } from './metadata-divergence.ts';
import { checkNonmonotonicCommits } from './nonmonotonic-commit.ts';
import { checkNonmonotonicPolls } from './nonmonotonic-poll.ts';
import { checkNonmonotonicSends } from './nonmonotonic-send.ts';
import { checkPhantoms } from './phantom.ts';
import { checkPollSkips } from './poll-skip.ts';
import { checkReaderDivergence } from './reader-divergence.ts';
import { checkUnseen } from './unseen.ts';

export const checkers: Readonly<Record<CheckerName, Checker>> = {
  'lost-write': checkLostWrites,
  unseen: checkUnseen,
  duplicate: checkDuplicates,
  'inconsistent-offsets': checkInconsistentOffsets,
  'nonmonotonic-send': checkNonmonotonicSends,
  'nonmonotonic-poll': checkNonmonotonicPolls,
  'poll-skip': checkPollSkips,
  phantom: checkPhantoms,
  'aborted-read': checkAbortedReads,
  'reader-divergence': checkReaderDivergence,
  'committed-undelivered': checkCommittedUndelivered,
  'nonmonotonic-commit': checkNonmonotonicCommits,
  'double-ownership': checkDoubleOwnership,
  'metadata-divergence': checkMetadataDivergence,
};

export const logCheckers: readonly CheckerName[] = [
  'lost-write',
  'unseen',
  'duplicate',
  'inconsistent-offsets',
  'nonmonotonic-send',
  'nonmonotonic-poll',
  'poll-skip',
  'phantom',
  'aborted-read',
  'reader-divergence',
];

export const groupCheckers: readonly CheckerName[] = [
  'committed-undelivered',
  'nonmonotonic-commit',
  'double-ownership',
];

export const metadataCheckers: readonly CheckerName[] = ['metadata-divergence'];

export const allCheckers = Object.keys(checkers) as CheckerName[];

export interface CheckReport {
  readonly valid: boolean;
  readonly results: readonly CheckResult[];
}

export function checkHistory(
  history: History,
  names: readonly CheckerName[] = allCheckers,
): CheckReport {
  const results = names.map((name) => checkers[name](history));
  return { valid: results.every((r) => r.valid), results };
}
