/**
 * Test support of the raft package: a real node process (durable WAL, authenticated links,
 * multi-raft host) driven over a line protocol, and the tools that load and check it. Used
 * by this package's process tests and by the Raft cluster benchmark; not part of the
 * runtime API.
 */
export type { NodeStats, ProposeReply } from './control-protocol.ts';
export { LatencyHistogram } from './latency-histogram.ts';
export type { NodeHandle } from './node-handle.ts';
export {
  OpenLoopRelease,
  type OpenLoopReleaseOptions,
  type ReleaseMode,
  releaseModes,
} from './open-loop-release.ts';
export { ProcessCluster } from './process-cluster.ts';
