/**
 * `tributary topic produce <topic>`: one record per line of stdin. The topic is checked
 * before reading; records are sent as they are read (the producer batches them) with a
 * bound on those not yet acknowledged; the first failure stops reading and fails the
 * command after the records already sent have settled.
 */
import type { Message, Producer } from '@tributary/client';
import { connectFailure, createClient, withAdmin } from '../connection.ts';
import { ExitCode } from '../exit-codes.ts';
import { parseInteger } from '../input/integer.ts';
import { type KeyValue, parseKeyValue } from '../input/key-value.ts';
import { produceLinesPerSendMax, produceRecordsPendingMax } from '../limits.ts';
import { type Acks, acksChoices, idempotentFor, parseAcks } from '../produce/acks.ts';
import { lineChunks } from '../produce/line-chunks.ts';
import { PendingSends } from '../produce/pending-sends.ts';
import {
  type LineOptions,
  parseRecordLine,
  type RecordText,
  unescapeDelimiter,
} from '../produce/record-line.ts';
import { untilAborted } from '../until-aborted.ts';
import type { Command, CommandContext } from './command.ts';

interface ProducePlan {
  readonly topic: string;
  readonly line: LineOptions;
  readonly headers: readonly KeyValue[];
  readonly acks: Acks;
  readonly partition: number | undefined;
}

function planFrom({ args }: CommandContext): ProducePlan {
  args.expectPositionals(1, 1, '<topic>');
  const delimiter = args.string('key-delimiter');
  if (delimiter === '') throw args.usage('--key-delimiter must not be empty');
  const partition = args.string('partition');
  return {
    topic: args.positionals[0] as string,
    line: {
      keyDelimiter: delimiter === undefined ? undefined : unescapeDelimiter(delimiter),
      tombstone: args.boolean('tombstone'),
    },
    headers: args.list('header').map((text) => parseKeyValue(text, '--header')),
    acks: parseAcks(args.string('acks') ?? 'quorum'),
    partition:
      partition === undefined
        ? undefined
        : parseInteger(partition, '--partition', { min: 0, max: Number.MAX_SAFE_INTEGER }),
  };
}

/** Fails early on an unknown topic or a partition it does not have. */
async function checkTopic(context: CommandContext, plan: ProducePlan): Promise<void> {
  const { topics } = await withAdmin(context.settings, context.io, (admin, options) =>
    admin.fetchTopicMetadata({ ...options, topics: [plan.topic] }),
  );
  const count = topics[0]?.partitions.length ?? 0;
  if (plan.partition !== undefined && plan.partition >= count) {
    throw context.args.usage(
      `${plan.topic} has ${count} partitions; --partition ${plan.partition} is not one`,
    );
  }
}

function messageFor(text: RecordText, plan: ProducePlan): Message {
  return {
    key: text.key,
    value: text.value,
    headers: plan.headers,
    ...(plan.partition === undefined ? {} : { partition: plan.partition }),
  };
}

/** Reads stdin in chunks of lines, one send per chunk, until the end or the first failure. */
async function sendLines(context: CommandContext, plan: ProducePlan, producer: Producer) {
  const { io, out, settings } = context;
  const pending = new PendingSends(produceRecordsPendingMax);
  const input = untilAborted(io.stdin as AsyncIterable<Buffer | string>, io.interrupt);
  let lineNumber = 0;
  try {
    for await (const lines of lineChunks(input, produceLinesPerSendMax)) {
      const messages: Message[] = [];
      try {
        for (const line of lines) {
          lineNumber += 1;
          messages.push(messageFor(parseRecordLine(line, lineNumber, plan.line), plan));
        }
      } catch (error) {
        pending.fail(error); // the lines before it are still sent
      }
      const { topic, acks } = plan;
      if (messages.length > 0) {
        const send = producer.send({ topic, messages, acks, timeoutMs: settings.timeoutMs });
        await pending.add(send, messages.length);
      }
      out.progress(`sent ${lineNumber} records, ${pending.acknowledged} acknowledged`);
      if (pending.failed) break;
    }
  } finally {
    await pending.drain();
  }
  return pending;
}

async function run(context: CommandContext) {
  const plan = planFrom(context);
  await checkTopic(context, plan);
  const producer = createClient(context.settings, context.io).producer({
    acks: plan.acks,
    idempotent: idempotentFor(plan.acks),
  });
  try {
    await producer.connect({ timeoutMs: context.settings.timeoutMs, signal: context.io.interrupt });
  } catch (error) {
    throw connectFailure(context.settings, context.io, error);
  }
  try {
    const pending = await sendLines(context, plan, producer);
    context.out.clearProgress();
    if (pending.failed) {
      context.out.note(
        `tributary: ${pending.acknowledged} records were acknowledged before the failure`,
      );
      throw pending.firstError;
    }
    if (context.out.showsProgress)
      context.out.note(`produced ${pending.acknowledged} records to ${plan.topic}`);
    return ExitCode.ok;
  } finally {
    await producer.disconnect({ timeoutMs: context.settings.timeoutMs }).catch(() => {});
  }
}

export const topicProduce: Command = {
  noun: 'topic',
  verb: 'produce',
  summary: 'send each line of stdin as a record',
  usage: '<topic> [flags] < lines',
  details:
    'Every line of stdin is one record (a trailing CR is dropped); the command ends at\n' +
    'the end of input (Ctrl-D) or on Ctrl-C, once the records read are acknowledged.\n' +
    'Without --key-delimiter the line is the value and the key is null. With it, the\n' +
    'line splits at the first delimiter into key and value; a line without it fails the\n' +
    'command. An empty value is an empty record, not a tombstone, unless --tombstone is\n' +
    'given: then an empty value is null and deletes its key on a compacted topic.\n' +
    'Records are spread by key hash (no key: batches stick to one partition at a time)\n' +
    'unless --partition is given. Nothing is printed on stdout; a terminal sees progress.',
  flags: [
    {
      name: 'key-delimiter',
      short: 'k',
      kind: 'string',
      valueName: 'text',
      description: "split each line into key and value at this text ('\\t' is a tab)",
    },
    {
      name: 'header',
      short: 'H',
      kind: 'list',
      valueName: 'key=value',
      description: 'a header on every record, repeatable',
    },
    { name: 'tombstone', kind: 'boolean', description: 'an empty value is a tombstone (null)' },
    {
      name: 'acks',
      kind: 'string',
      valueName: acksChoices,
      description: 'when a record counts as written (see docs/architecture.md)',
      defaultText: 'quorum',
    },
    {
      name: 'partition',
      short: 'p',
      kind: 'string',
      valueName: 'n',
      description: 'send every record to this partition',
    },
  ],
  examples: [
    "echo 'hello' | tributary topic produce greetings",
    "printf 'user-1:alice\\nuser-2:bob\\n' | tributary topic produce users -k : -H source=cli",
    "echo 'user-1:' | tributary topic produce users -k : --tombstone",
  ],
  run,
};
