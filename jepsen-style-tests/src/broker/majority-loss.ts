/**
 * The *majority loss* scenario's step (run after the faults healed, before the final reads):
 * every node dies at once, all but one survivor are lost for good (their data removed), and
 * the operator runs the documented recovery tool on the survivor (docs/operations.md,
 * "Recovering from the loss of a majority": `force-recovery-main.ts --metadata`, then
 * `--topic T --partition P` for each partition), then starts it alone. Records acknowledged
 * with acks=all were on every replica, so the survivor must still hold every one of them.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { JepsenError } from '../errors.ts';
import type { TopicPartition } from '../history/operation.ts';
import { Prng } from '../prng.ts';
import { typeScriptCommand } from '../runner/node-command.ts';
import type { AfterHeal } from '../runner/run-jepsen.ts';
import { type BrokerCluster, idOf } from './broker-cluster.ts';

const run = promisify(execFile);
/** The operator's tool; run as a command (the harness does not import the broker). */
const forceRecoveryTool = fileURLToPath(
  new URL('../../../packages/broker/src/tools/force-recovery-main.ts', import.meta.url),
);
const toolTimeoutMs = 120_000;

export function majorityLossStep(
  cluster: BrokerCluster,
  partitions: readonly TopicPartition[],
  seed: number,
): AfterHeal {
  return {
    kind: 'lose-majority',
    run: async (log) => {
      const names = cluster.nodes().map((n) => n.id);
      const survivor = new Prng(seed).fork().pick(names);
      const lost = names.filter((n) => n !== survivor);
      await Promise.all(names.map((n) => cluster.kill(n, 'SIGKILL')));
      for (const n of lost) await cluster.retire(n);
      log(`lose-majority: ${lost.join(', ')} lost for good; recovering on ${survivor}`);
      const dataDir = cluster.nodes().find((n) => n.id === survivor)!.dataDir;
      const targets = [
        ['--metadata'],
        ...partitions.map((tp) => ['--topic', tp.topic, '--partition', String(tp.partition)]),
      ];
      for (const target of targets) await forceRecovery(dataDir, idOf(survivor), target);
      await cluster.start(survivor);
      return {
        targets: lost,
        detail: `${lost.join(', ')} lost for good; ${survivor} made sole voter of the metadata group and of ${partitions.length} partitions by force-recovery`,
      };
    },
  };
}

async function forceRecovery(dataDir: string, nodeId: number, target: string[]): Promise<void> {
  const [file, ...args] = typeScriptCommand(forceRecoveryTool, [
    '--data-dir',
    dataDir,
    '--node-id',
    String(nodeId),
    ...target,
  ]);
  try {
    await run(file!, args, { timeout: toolTimeoutMs });
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr?.trim();
    throw new JepsenError(
      'command-failed',
      `force-recovery ${target.join(' ')} on node ${nodeId}: ${stderr || String(cause)}`,
      { cause },
    );
  }
}
