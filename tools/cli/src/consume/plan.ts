/**
 * What `topic consume` was asked to do, checked before anything connects: where to start,
 * when to stop, with or without a group, and how to print.
 */
import type { Args } from '../args/args.ts';
import { type Encoding, parseEncoding } from '../format/bytes.ts';
import { compileTemplate, type Template } from '../format/template.ts';
import { parseInteger, parsePartitionList } from '../input/integer.ts';
import { parseStartPosition, type StartPosition } from '../input/start-position.ts';

export interface ConsumePlan {
  readonly topic: string;
  readonly group: string | undefined;
  readonly from: StartPosition;
  /** Only these partitions (without a group); all when undefined. */
  readonly partitions: readonly number[] | undefined;
  /** Stop after this many records. */
  readonly count: number | undefined;
  /** Stop once every partition reached the end it had when consuming started. */
  readonly untilEnd: boolean;
  /** Print with this template; JSON lines when undefined. */
  readonly template: Template | undefined;
  readonly encoding: Encoding;
}

export function planConsume(args: Args): ConsumePlan {
  args.expectPositionals(1, 1, '<topic>');
  const group = args.string('group');
  if (group === '') throw args.usage('--group must not be empty');
  const from = parseStartPosition(args.string('from') ?? 'beginning', '--from');
  const partitionsText = args.string('partitions');
  if (group !== undefined && partitionsText !== undefined) {
    throw args.usage('--partitions cannot be used with --group (the group assigns partitions)');
  }
  if (group !== undefined && from.kind !== 'beginning' && from.kind !== 'end') {
    throw args.usage(
      "with --group, --from is beginning or end (where partitions without a committed offset start); move a group with 'tributary group seek'",
    );
  }
  const countText = args.string('count');
  const template = args.string('template');
  return {
    topic: args.positionals[0] as string,
    group,
    from,
    partitions: partitionsText === undefined ? undefined : parsePartitionList(partitionsText),
    count:
      countText === undefined
        ? undefined
        : parseInteger(countText, '--count', { min: 1, max: Number.MAX_SAFE_INTEGER }),
    untilEnd: args.boolean('until-end'),
    template: template === undefined ? undefined : compileTemplate(template),
    encoding: parseEncoding(args.string('encoding') ?? 'utf8'),
  };
}
