// Raft core internals and the deterministic simulator (sim/), for tests and benchmarks.
export { Inflights } from './core/inflights.ts';
export * as raftLimits from './core/limits.ts';
export { Progress } from './core/progress.ts';
export { committedIndex, configVoteOutcome, majorityIndex, voteOutcome } from './core/quorum.ts';
export { Raft } from './core/raft.ts';
export { RaftLog } from './core/raft-log.ts';
// Durable log internals for tests and the host: the file-system seam, the record and
// acknowledged-state codecs.
export { decodeAcknowledged } from './durable/acknowledged-file.ts';
export { loadChecksum } from './durable/checksum.ts';
export { nodeWalFileSystem, type WalFile, type WalFileSystem } from './durable/file-system.ts';
export * as walLimits from './durable/limits.ts';
export { SafetyChecker, SafetyViolation } from './sim/checker.ts';
export { Cluster, type ClusterOptions, silentLogger } from './sim/cluster.ts';
export { SimHost, type SimRaftSettings, simRaftDefaults } from './sim/host.ts';
export { type BatchOptions, type BatchResult, failureReport, runBatch } from './sim/run.ts';
export { type SimEvent, type SimSchedule, scheduleArbitrary } from './sim/schedule.ts';
export {
  LivenessViolation,
  runSimulation,
  Simulation,
  type SimulationOptions,
} from './sim/simulation.ts';
export { decodeMessagesFrame, encodeMessagesFrame } from './transport/frame.ts';
export * as transportLimits from './transport/limits.ts';
