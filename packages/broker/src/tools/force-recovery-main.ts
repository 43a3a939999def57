/**
 * `npx tsx packages/broker/src/tools/force-recovery-main.ts --data-dir D --node-id N --group G`
 * Unsafe: makes node N the only voter of group G (see force-recovery.ts and
 * docs/operations.md, "Recovering from the loss of a majority"). The node must be stopped.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ForceRecoveryError, forceRecovery } from './force-recovery.ts';

const usage = `usage: force-recovery --data-dir DIR --node-id N (--group G | --metadata | --topic T --partition P)
  the node must be stopped; the metadata group is group 0`;

/** A partition's Raft group id, from its directory name (<topic>-<partition>.<group>). */
function groupOfPartition(dataDir: string, topic: string, partition: number): number | undefined {
  const prefix = `${topic}-${partition}.`;
  let names: string[];
  try {
    names = readdirSync(join(dataDir, 'partitions'));
  } catch {
    return undefined;
  }
  const name = names.find((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)));
  return name === undefined ? undefined : Number(name.slice(prefix.length));
}

async function main(): Promise<void> {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      options: {
        'data-dir': { type: 'string' },
        'node-id': { type: 'string' },
        group: { type: 'string' },
        metadata: { type: 'boolean' },
        topic: { type: 'string' },
        partition: { type: 'string' },
      },
    }).values as Record<string, string | undefined>;
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  const nodeId = Number(values['node-id']);
  const dataDir = values['data-dir'] ?? '';
  const group = values.metadata
    ? 0
    : values.topic !== undefined
      ? (groupOfPartition(dataDir, values.topic, Number(values.partition)) ?? Number.NaN)
      : Number(values.group);
  if (
    !dataDir ||
    !Number.isSafeInteger(nodeId) ||
    nodeId < 1 ||
    !Number.isSafeInteger(group) ||
    group < 0
  ) {
    console.error(usage);
    process.exit(2);
  }
  try {
    const result = await forceRecovery({ dataDir, nodeId, group });
    console.log(
      JSON.stringify({ ...result, note: 'start the node; it is now the only voter of this group' }),
    );
  } catch (error) {
    if (error instanceof ForceRecoveryError) {
      console.error(`force recovery refused: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

await main();
