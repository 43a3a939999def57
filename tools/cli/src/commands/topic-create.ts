/** `tributary topic create <topic>...`: creates topics and waits until each has leaders. */
import type { Admin } from '@tributary/client';
import type { CallOptions } from '../connection.ts';
import { withAdmin } from '../connection.ts';
import { describeFailure } from '../error-report.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { parseInteger } from '../input/integer.ts';
import { parseKeyValue } from '../input/key-value.ts';
import { replicationFactorDefaultMax } from '../limits.ts';
import type { Command, CommandContext } from './command.ts';

const partitionsMax = 100_000;
const replicasMax = 99;

async function defaultReplicationFactor(admin: Admin, options: CallOptions): Promise<number> {
  const cluster = await admin.describeCluster(options);
  const alive = cluster.brokers.filter((b) => b.alive).length;
  return Math.max(1, Math.min(replicationFactorDefaultMax, alive));
}

async function run({ args, io, out, settings }: CommandContext) {
  args.expectPositionals(1, Number.MAX_SAFE_INTEGER, '<topic>');
  const partitionsText = args.string('partitions');
  const numPartitions =
    partitionsText === undefined
      ? 1
      : parseInteger(partitionsText, '--partitions', { min: 1, max: partitionsMax });
  const replicasText = args.string('replicas');
  const replicas =
    replicasText === undefined
      ? undefined
      : parseInteger(replicasText, '--replicas', { min: 1, max: replicasMax });
  const configEntries = args.list('config').map((text) => {
    const { key, value } = parseKeyValue(text, '--config');
    return { name: key, value };
  });
  const ifNotExists = args.boolean('if-not-exists');
  const validateOnly = args.boolean('dry-run');
  return withAdmin(settings, io, async (admin, options) => {
    const replicationFactor = replicas ?? (await defaultReplicationFactor(admin, options));
    let exitCode: ExitCodeValue = ExitCode.ok;
    for (const topic of args.positionals) {
      try {
        const created = await admin.createTopics({
          ...options,
          topics: [{ topic, numPartitions, replicationFactor, configEntries }],
          validateOnly,
        });
        if (created) {
          const what = validateOnly ? 'would create' : 'created';
          await out.print(
            `${what} ${topic} (${numPartitions} partition${numPartitions === 1 ? '' : 's'}, replication factor ${replicationFactor})\n`,
          );
        } else if (ifNotExists) {
          await out.print(`${topic} already exists\n`);
        } else {
          out.note(`tributary: topic ${topic} already exists`);
          exitCode = ExitCode.failed;
        }
      } catch (error) {
        const failure = describeFailure(error, settings);
        out.note(`tributary: ${topic}: ${failure.message}`);
        exitCode = failure.exitCode;
      }
    }
    return exitCode;
  });
}

export const topicCreate: Command = {
  noun: 'topic',
  verb: 'create',
  summary: 'create topics',
  usage: '<topic>... [flags]',
  details:
    'Creates each topic and waits until every partition has a leader. A topic that\n' +
    'already exists is an error (exit 1) unless --if-not-exists is given.',
  flags: [
    {
      name: 'partitions',
      short: 'p',
      kind: 'string',
      valueName: 'count',
      description: 'partitions per topic',
      defaultText: '1',
    },
    {
      name: 'replicas',
      short: 'r',
      kind: 'string',
      valueName: 'count',
      description: 'replication factor',
      defaultText: 'live brokers, at most 3',
    },
    {
      name: 'config',
      short: 'c',
      kind: 'list',
      valueName: 'key=value',
      description: 'topic config, repeatable (e.g. -c cleanup.policy=compact)',
    },
    { name: 'if-not-exists', kind: 'boolean', description: 'succeed if the topic exists' },
    { name: 'dry-run', kind: 'boolean', description: 'validate only; create nothing' },
  ],
  examples: [
    'tributary topic create orders -p 6 -r 3',
    'tributary topic create users -c cleanup.policy=compact -c retention.ms=-1',
  ],
  run,
};
