/**
 * Test scaffolding (toy log server): a toy cluster behind a proxy mesh with the log workload
 * wired to it, ready for `runJepsen`. Used by the tests and by `cli.ts --target toy`.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterControl } from '../../src/nemesis/cluster-control.ts';
import { ProxyMesh } from '../../src/network/proxy-mesh.ts';
import type { Workload } from '../../src/runner/workload.ts';
import { logWorkload } from '../../src/workloads/log-workload.ts';
import { ToyCluster } from './toy-cluster.ts';

export const toyClientModule = fileURLToPath(new URL('./toy-client.ts', import.meta.url));

export interface ToyTarget {
  readonly cluster: ToyCluster & ClusterControl;
  readonly network: ProxyMesh;
  readonly workload: Workload;
  close(): Promise<void>;
}

export async function startToyTarget(options: {
  readonly baseDir: string;
  readonly nodes?: number;
  readonly partitions?: number;
  readonly clients?: number;
  readonly bug?: 'lose-tail';
}): Promise<ToyTarget> {
  const partitions = options.partitions ?? 2;
  const ids = Array.from({ length: options.nodes ?? 3 }, (_, i) => `n${i + 1}`);
  let mesh: ProxyMesh | undefined;
  const cluster = new ToyCluster({
    size: ids.length,
    baseDir: join(options.baseDir, 'data'),
    partitions,
    ...(options.bug ? { bug: options.bug } : {}),
    peerAddressFor: (from, to) => mesh!.addressFor(from, to),
  });
  mesh = await ProxyMesh.start({ nodes: ids, targetOf: (id) => cluster.peerAddress(id) });
  const network = mesh;
  const workload = logWorkload({
    clientModule: toyClientModule,
    topic: 'toy',
    partitions,
    clientCount: options.clients ?? 3,
    readers: 2,
  });
  return {
    cluster,
    network,
    workload,
    close: async () => {
      await cluster.stopAll();
      await network.close();
    },
  };
}
