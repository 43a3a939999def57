/**
 * Table-table join: a change on either side looks up the other side's current value and
 * forwards the joined table's change (result for the new value, result for the old value).
 * Inner, left and outer differ only in when a missing side still gives a result.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../engine/processor.ts';
import type { Change, StreamRecord } from '../engine/record.ts';
import type { ValueGetter, ValueGetterSupplier } from './table-getter.ts';

export type TableJoinKind = 'inner' | 'left' | 'outer';

export type Joiner = (left: unknown, right: unknown, key: unknown) => unknown;

/** The joined value for one key given both sides (null where a side has none). */
export function joinValues(
  kind: TableJoinKind,
  joiner: Joiner,
  key: unknown,
  left: unknown,
  right: unknown,
): unknown {
  const hasLeft = left !== null && left !== undefined;
  const hasRight = right !== null && right !== undefined;
  const joined =
    kind === 'inner' ? hasLeft && hasRight : kind === 'left' ? hasLeft : hasLeft || hasRight;
  return joined ? joiner(hasLeft ? left : null, hasRight ? right : null, key) : null;
}

export function tableJoinSideProcessor(
  side: 'left' | 'right',
  other: ValueGetterSupplier<unknown, unknown>,
  kind: TableJoinKind,
  joiner: Joiner,
): ProcessorSupplier {
  return () => {
    let context: ProcessorContext;
    let lookup: ValueGetter<unknown, unknown>;
    const compute = (key: unknown, mine: unknown, theirs: unknown) =>
      side === 'left'
        ? joinValues(kind, joiner, key, mine, theirs)
        : joinValues(kind, joiner, key, theirs, mine);
    const processor: Processor = {
      init(ctx) {
        context = ctx;
        lookup = other.create(ctx);
      },
      process(record: StreamRecord) {
        if (record.key === null || record.key === undefined) return;
        const change = record.value as Change<unknown>;
        const theirs = lookup(record.key);
        const newValue = compute(record.key, change.newValue, theirs) ?? null;
        const oldValue = compute(record.key, change.oldValue, theirs) ?? null;
        if (newValue === null && oldValue === null) return;
        context.forward({ ...record, value: { newValue, oldValue } });
      },
    };
    return processor;
  };
}
