/** Public surface of the jepsen-style harness: histories, checkers, results, nemesis, runner. */

export type { Checker, CheckerName, CheckResult } from './checkers/check-result.ts';
export {
  allCheckers,
  type CheckReport,
  checkers,
  checkHistory,
  groupCheckers,
  logCheckers,
  metadataCheckers,
} from './checkers/index.ts';
export { JepsenError, type JepsenErrorCode } from './errors.ts';
export { historyToJsonLines, parseHistoryLine, readHistory } from './history/history-file.ts';
export * from './history/operation.ts';
export { type OperationPair, pairOperations } from './history/pairs.ts';
export { HistoryRecorder, type RecorderOptions } from './history/recorder.ts';
export { Prng } from './prng.ts';
