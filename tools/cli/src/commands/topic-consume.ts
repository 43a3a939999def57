/**
 * `tributary topic consume <topic>`: prints records as JSON lines or through a template.
 * Without a group it reads the chosen partitions from `--from`; with `--group` it joins
 * the group, starts from the group's committed offsets and commits what it printed.
 */
import type { Client, Consumer } from '@tributary/client';
import { connectFailure, createClient, withAdmin } from '../connection.ts';
import { type ConsumePlan, planConsume } from '../consume/plan.ts';
import { createPrinter } from '../consume/printer.ts';
import { ConsumeSession } from '../consume/session.ts';
import {
  offsetsAtTime,
  type PartitionStart,
  selectPartitions,
  startTargets,
} from '../consume/start-targets.ts';
import { OperationError } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import { encodings } from '../format/bytes.ts';
import { startPositionSyntax } from '../input/start-position.ts';
import { shutdownMsMax, untilEndCheckIntervalMs } from '../limits.ts';
import type { Command, CommandContext } from './command.ts';

interface Prepared {
  readonly starts: PartitionStart[];
  readonly ends: Map<number, bigint>;
}

/** Reads the topic's offsets: fails on an unknown topic, and fixes where each partition starts. */
async function prepare(context: CommandContext, plan: ConsumePlan): Promise<Prepared> {
  const from = plan.from;
  const { offsets, atTime } = await withAdmin(
    context.settings,
    context.io,
    async (admin, options) => ({
      offsets: await admin.fetchTopicOffsets(plan.topic, options),
      atTime:
        from.kind === 'timestamp' && plan.group === undefined
          ? await offsetsAtTime(admin, plan.topic, from.timestampMs, options)
          : undefined,
    }),
  );
  const chosen = selectPartitions(offsets, plan.topic, plan.partitions);
  const starts = startTargets(chosen, from, atTime);
  return { starts, ends: new Map(starts.map((s) => [s.partition, s.end])) };
}

function watch(client: Client, session: ConsumeSession): void {
  client.on('error', ({ source, error }) => {
    if (source === 'consumer') session.fail(error);
  });
  client.on('rebalance', ({ phase }) => {
    if (phase === 'assigned') session.markAssigned();
  });
}

async function begin(
  consumer: Consumer,
  session: ConsumeSession,
  plan: ConsumePlan,
  prepared: Prepared,
) {
  if (plan.group !== undefined) {
    consumer.subscribe({ topic: plan.topic, fromBeginning: plan.from.kind === 'beginning' });
    session.start();
    await consumer.run({ eachBatch: session.handleBatch, eachBatchAutoResolve: false });
    return;
  }
  consumer.assign([{ topic: plan.topic, partitions: prepared.starts.map((s) => s.partition) }]);
  await consumer.run({ eachBatch: session.handleBatch, eachBatchAutoResolve: false });
  for (const start of prepared.starts) {
    consumer.seek({ topic: plan.topic, partition: start.partition, offset: start.offset });
  }
  session.start();
  session.markAssigned();
}

/** Commits what was printed before leaving, so a failed commit is reported, not lost. */
async function commitPrinted(consumer: Consumer, timeoutMs: number): Promise<void> {
  try {
    await consumer.commitOffsets(undefined, { timeoutMs });
  } catch (error) {
    throw new OperationError("could not commit the group's offsets for the records printed", error);
  }
}

async function stopWithin(consumer: Consumer, limitMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, limitMs);
  });
  await Promise.race([consumer.disconnect().catch(() => {}), late]);
  clearTimeout(timer);
}

async function run(context: CommandContext) {
  const { io, out, settings } = context;
  const plan = planConsume(context.args);
  const prepared = await prepare(context, plan);
  const client = createClient(settings, io);
  const consumer = client.consumer({
    ...(plan.group === undefined ? {} : { groupId: plan.group }),
    autoOffsetReset: plan.from.kind === 'end' ? 'latest' : 'earliest',
  });
  const session = new ConsumeSession(
    plan,
    consumer,
    createPrinter(plan.template, plan.encoding),
    out,
    prepared.ends,
  );
  watch(client, session);
  const onInterrupt = () => session.finish();
  io.interrupt.addEventListener('abort', onInterrupt, { once: true });
  if (io.interrupt.aborted) session.finish();
  const ticker = setInterval(() => session.checkEnd(), untilEndCheckIntervalMs);
  try {
    try {
      await consumer.connect({ timeoutMs: settings.timeoutMs, signal: io.interrupt });
    } catch (error) {
      throw connectFailure(settings, io, error);
    }
    await begin(consumer, session, plan, prepared);
    await session.finished;
    if (plan.group !== undefined && session.error === undefined && session.count > 0) {
      await commitPrinted(consumer, settings.timeoutMs);
    }
  } finally {
    clearInterval(ticker);
    io.interrupt.removeEventListener('abort', onInterrupt);
    await stopWithin(consumer, shutdownMsMax);
    out.clearProgress();
  }
  if (session.error !== undefined) throw session.error;
  return ExitCode.ok;
}

export const topicConsume: Command = {
  noun: 'topic',
  verb: 'consume',
  summary: 'print records as JSON lines or through a template',
  usage: '<topic> [flags]',
  details:
    'Without --group, reads every partition (or --partitions) from --from and commits\n' +
    "nothing. With --group, joins the group, starts where the group's committed offsets\n" +
    'are (--from beginning|end only for partitions without one), and commits what it\n' +
    'printed. Stops after --count records, at the end with --until-end, or on Ctrl-C.\n' +
    '\n' +
    'Start positions (--from):\n' +
    '  beginning | earliest     the first offset still in the log (default)\n' +
    '  end | latest             only records produced from now on\n' +
    '  <offset>                 this offset in each partition (kept inside the log)\n' +
    '  -<count>                 that many records before the end of each partition\n' +
    '  @<ms> | @<ISO date>      the first record at or after this time\n' +
    '\n' +
    'Default output: one JSON object per line with topic, partition, offset, timestamp,\n' +
    'key, value (null for none/tombstone) and headers. Template placeholders (-f):\n' +
    '  %t topic  %p partition  %o offset  %k key  %v value  %h headers (k=v,k=v)\n' +
    '  %d timestamp (ms)  %D timestamp (ISO 8601, UTC)  %K key length  %V value length\n' +
    '  %% a literal %\n' +
    'Escapes: \\n newline, \\t tab, \\r carriage return, \\\\ backslash. Nothing is added at\n' +
    'the end of a template: end it with \\n for one line per record. A null key or value\n' +
    'prints as empty text (its length as -1).',
  flags: [
    {
      name: 'from',
      short: 'o',
      kind: 'string',
      valueName: startPositionSyntax,
      description: 'where to start (see above)',
      defaultText: 'beginning',
    },
    {
      name: 'count',
      short: 'n',
      kind: 'string',
      valueName: 'n',
      description: 'stop after this many records',
    },
    {
      name: 'until-end',
      short: 'e',
      kind: 'boolean',
      description: 'stop once every partition reached the end it had at the start',
    },
    {
      name: 'group',
      short: 'g',
      kind: 'string',
      valueName: 'id',
      description: 'consume as a member of this group and commit offsets',
    },
    {
      name: 'partitions',
      short: 'p',
      kind: 'string',
      valueName: 'n,n,...',
      description: 'only these partitions (not with --group)',
    },
    {
      name: 'template',
      short: 'f',
      kind: 'string',
      valueName: 'template',
      description: "print each record through this template, e.g. '%p/%o %k=%v\\n'",
    },
    {
      name: 'encoding',
      kind: 'string',
      valueName: encodings.join('|'),
      description: 'how keys, values and header values are shown',
      defaultText: 'utf8',
    },
  ],
  examples: [
    'tributary topic consume orders --until-end',
    'tributary topic consume orders --from -10 -f "%p/%o %k: %v\\n"',
    'tributary topic consume orders --from @2024-05-01T00:00:00Z -n 100',
    'tributary topic consume orders --group billing',
  ],
  run,
};
