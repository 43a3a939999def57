/** The co-partitioning check with partition counts given by hand (the test driver's). */
import { resolvePartitionCounts } from '../engine/partition-counts.ts';
import type { Topology } from '../engine/topology.ts';

export function checkCopartitioningFor(
  topology: Topology,
  applicationId: string,
  partitions: Readonly<Record<string, number>>,
): void {
  resolvePartitionCounts(topology, applicationId, (topic) => partitions[topic] ?? 1);
}
