/**
 * Stream-table join: each stream record looks up the table's current value for its key.
 * Updates of the table emit nothing (the table is a lookup, as in Kafka Streams). An inner
 * join drops records without a table value; a left join emits them with null.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../engine/processor.ts';
import type { StreamRecord } from '../engine/record.ts';
import type { ValueGetter, ValueGetterSupplier } from './table-getter.ts';

export function streamTableJoinProcessor(
  table: ValueGetterSupplier<unknown, unknown>,
  joiner: (streamValue: unknown, tableValue: unknown, key: unknown) => unknown,
  leftJoin: boolean,
): ProcessorSupplier {
  return () => {
    let context: ProcessorContext;
    let lookup: ValueGetter<unknown, unknown>;
    const processor: Processor = {
      init(ctx) {
        context = ctx;
        lookup = table.create(ctx);
      },
      process(record: StreamRecord) {
        if (record.key === null || record.key === undefined || record.value === null) return;
        const tableValue = lookup(record.key);
        if (tableValue === null && !leftJoin) return;
        context.forward({ ...record, value: joiner(record.value, tableValue, record.key) });
      },
    };
    return processor;
  };
}
