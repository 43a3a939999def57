/**
 * The start of every launch end-to-end test: a healthy cluster in a scratch directory and a
 * protocol driver on it, both torn down with the test. A failed test keeps the directory
 * (node logs, data) and logs where it is.
 */
import { initChecksums } from '@tributary/protocol';
import type { ExecutionContext } from 'ava';
import type { LocalCluster } from '../src/local-cluster.ts';
import { type ScratchClusterOptions, startScratchCluster } from '../src/testing.ts';
import { ProtocolDriver } from './protocol-driver.ts';

export async function startDrivenCluster(
  t: ExecutionContext,
  options: ScratchClusterOptions,
): Promise<{ cluster: LocalCluster; driver: ProtocolDriver }> {
  await initChecksums();
  const scratch = await startScratchCluster(options);
  const driver = new ProtocolDriver(scratch.cluster.bootstrap);
  t.teardown(async () => {
    driver.close();
    await scratch.close({ keep: !t.passed });
    if (!t.passed) t.log(`node logs kept in ${scratch.dir}`);
  });
  return { cluster: scratch.cluster, driver };
}
