/**
 * What the harness needs from a cluster of node processes. `tools/launch` implements it for
 * the real broker; the toy log server in the tests implements it to test the harness.
 */
import type { TopicPartition } from '../history/operation.ts';

export interface ClusterNode {
  readonly id: string;
  /** The process id while the node runs, undefined while it is stopped. */
  readonly pid: number | undefined;
  /** Everything the node keeps on disk lives under this folder (disk faults pick files here). */
  readonly dataDir: string;
}

export type NodeSignal = 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT';

export interface ClusterControl {
  nodes(): readonly ClusterNode[];
  /** Starts every node and resolves when each one listens. */
  startAll(): Promise<void>;
  /** Stops every node (resuming paused ones first) and resolves when all have exited. */
  stopAll(): Promise<void>;
  /** Starts one stopped node again on its existing data; resolves when it listens. */
  start(nodeId: string): Promise<void>;
  /**
   * Sends a signal to a node's process. SIGKILL and SIGTERM resolve once the process has
   * exited, so the caller may touch its files; SIGSTOP and SIGCONT resolve at once.
   */
  kill(nodeId: string, signal: NodeSignal): Promise<void>;
  isRunning(nodeId: string): boolean;
  /**
   * Resolves when the cluster serves requests again (after faults heal), or rejects on timeout.
   * May resolve with a note on a state that is healthy enough but worth reporting (a replica
   * fenced by a disk fault, as designed).
   */
  waitHealthy(options: { timeoutMs: number; signal?: AbortSignal }): Promise<string | undefined>;
  /** What workload clients need to connect (addresses...), handed to each client process. */
  clientConfig(): unknown;
  /** The node that leads a partition now, if known (for `kill-leader`, `partition-isolate-leader`). */
  readonly partitionLeader?: (tp: TopicPartition) => Promise<string | undefined>;
  /** The node that leads the metadata group now, if known (for `kill-controller`). */
  readonly controllerLeader?: () => Promise<string | undefined>;
}
