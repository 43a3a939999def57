/**
 * The real cluster as a target for `runJepsen`: a `BrokerCluster` (node processes behind a
 * proxy mesh) and the workloads that drive it through `@tributary/client`, from client
 * processes loading `client/broker-client.ts`.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Workload } from '../runner/workload.ts';
import { combineWorkloads } from '../workloads/combined-workload.ts';
import { groupWorkload } from '../workloads/group-workload.ts';
import { logWorkload } from '../workloads/log-workload.ts';
import { metadataWorkload } from '../workloads/metadata-workload.ts';
import { ValueSource } from '../workloads/value-source.ts';
import { BrokerCluster } from './broker-cluster.ts';

export const brokerClientModule = fileURLToPath(
  new URL('./client/broker-client.ts', import.meta.url),
);

export const workloadNames = ['log', 'groups', 'metadata'] as const;
export type WorkloadName = (typeof workloadNames)[number];

/**
 * Node settings for fault runs: the defaults, except what keeps a two-core machine able to
 * run three nodes and their clients: fewer partitions of the offsets topic, and checkpoints
 * often enough that restarts re-apply little.
 */
export const faultRunSettings: Readonly<Record<string, number>> = {
  offsetsTopicPartitions: 2,
  checkpointIntervalMs: 500,
};

export interface BrokerTargetOptions {
  readonly baseDir: string;
  readonly nodes?: number;
  readonly workloads?: readonly WorkloadName[];
  /** Partitions of the log and group topics. */
  readonly partitions?: number;
  /** Clients per workload (log senders/pollers; group members; metadata clients). */
  readonly clients?: number;
  readonly readers?: number;
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
  /** Acks of the log workload's sends (default: quorum and all). */
  readonly acks?: readonly string[];
  /** Share of the log workload's operations that are sends (default 0.7). */
  readonly sendShare?: number;
}

export interface BrokerTarget {
  readonly cluster: BrokerCluster;
  readonly workload: Workload;
  close(): Promise<void>;
}

export async function startBrokerTarget(options: BrokerTargetOptions): Promise<BrokerTarget> {
  const cluster = await BrokerCluster.create({
    nodes: options.nodes ?? 3,
    dataDir: join(options.baseDir, 'data'),
    settings: { ...faultRunSettings, ...options.settings },
  });
  const workload = brokerWorkload(
    options,
    cluster.nodes().map((n) => n.id),
  );
  return { cluster, workload, close: () => cluster.close() };
}

export function brokerWorkload(options: BrokerTargetOptions, nodes: readonly string[]): Workload {
  const values = new ValueSource();
  const partitions = options.partitions ?? 3;
  const clients = options.clients ?? 3;
  const readers = options.readers ?? 2;
  const chosen = options.workloads ?? workloadNames;
  const parts: Workload[] = [];
  if (chosen.includes('log'))
    parts.push(
      logWorkload({
        clientModule: brokerClientModule,
        topic: 'jepsen-log',
        partitions,
        clientCount: clients,
        readers,
        acks: options.acks ?? ['quorum', 'all'],
        createTopic: true,
        values,
        pipelinedShare: 0.2,
        ...(options.sendShare === undefined ? {} : { sendShare: options.sendShare }),
      }),
    );
  if (chosen.includes('groups'))
    parts.push(
      groupWorkload({
        clientModule: brokerClientModule,
        topic: 'jepsen-group',
        group: 'jepsen',
        partitions,
        producers: 1,
        members: clients,
        readers,
        values,
      }),
    );
  if (chosen.includes('metadata'))
    parts.push(
      metadataWorkload({
        clientModule: brokerClientModule,
        prefix: 'jepsen-meta',
        clientCount: 1,
        nodes,
      }),
    );
  return parts.length === 1 ? parts[0]! : combineWorkloads(parts);
}
