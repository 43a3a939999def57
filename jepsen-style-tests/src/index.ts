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
export type { ClusterControl, ClusterNode, NodeSignal } from './nemesis/cluster-control.ts';
export { type FaultKind, faultGroups, faultKinds, parseFaultKinds } from './nemesis/fault-kinds.ts';
export { Nemesis, type NemesisOptions } from './nemesis/nemesis.ts';
export { bothWays, type DirectedLink, type NetworkControl } from './nemesis/network-control.ts';
export { planSchedule, type ScheduledFault, type ScheduleOptions } from './nemesis/schedule.ts';
export type { Address, OneWayMode } from './network/link-proxy.ts';
export { type Availability, type CutMethod, NetnsNetwork } from './network/netns.ts';
export { ProxyMesh, type ProxyMeshOptions } from './network/proxy-mesh.ts';
export { Prng } from './prng.ts';
export { reportHtml } from './results/report-html.ts';
export { type RunSummary, summarize, summaryMarkdown } from './results/summary.ts';
export { writeResults } from './results/write-results.ts';
export { type RunOptions, type RunResult, runJepsen } from './runner/run-jepsen.ts';
export type {
  Completion,
  CreateWorkloadClient,
  GeneratorContext,
  OperationRequest,
  Workload,
  WorkloadClient,
} from './runner/workload.ts';
export { type LogWorkloadOptions, logWorkload } from './workloads/log-workload.ts';
