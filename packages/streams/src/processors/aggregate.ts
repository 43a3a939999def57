/**
 * Aggregations of grouped streams and grouped tables into a key-value store. Each update is
 * forwarded downstream as a table change (new value, old value). Records with a null key or
 * a null value are skipped, as in Kafka Streams.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../engine/processor.ts';
import type { StreamRecord } from '../engine/record.ts';
import type { KeyValueStore } from '../state/key-value-store.ts';
import type { GroupChange } from './table-processors.ts';

/** Computes a key's new aggregate from a value and the old aggregate (undefined: none yet). */
export type AggregateUpdate = (key: unknown, value: unknown, old: unknown | undefined) => unknown;

export function streamAggregateProcessor(
  storeName: string,
  update: AggregateUpdate,
): ProcessorSupplier {
  return () => {
    let context: ProcessorContext;
    let store: KeyValueStore<unknown, unknown>;
    const processor: Processor = {
      init(ctx) {
        context = ctx;
        store = ctx.getStateStore(storeName);
      },
      process(record: StreamRecord) {
        if (record.key === null || record.key === undefined) return;
        if (record.value === null || record.value === undefined) return;
        const old = store.get(record.key);
        const next = update(record.key, record.value, old);
        store.put(record.key, next);
        context.forward({ ...record, value: { newValue: next ?? null, oldValue: old ?? null } });
      },
    };
    return processor;
  };
}

export interface TableAggregateFunctions {
  readonly add: AggregateUpdate;
  readonly subtract: AggregateUpdate;
}

/** Aggregates a re-grouped table: each input is an addition to or a subtraction from a group. */
export function tableAggregateProcessor(
  storeName: string,
  functions: TableAggregateFunctions,
): ProcessorSupplier {
  return () => {
    let context: ProcessorContext;
    let store: KeyValueStore<unknown, unknown>;
    return {
      init(ctx) {
        context = ctx;
        store = ctx.getStateStore(storeName);
      },
      process(record: StreamRecord) {
        if (record.key === null || record.key === undefined || record.value === null) return;
        const change = record.value as GroupChange<unknown>;
        const old = store.get(record.key);
        const update = change.op === 'add' ? functions.add : functions.subtract;
        const next = update(record.key, change.value, old);
        store.put(record.key, next ?? null);
        context.forward({ ...record, value: { newValue: next ?? null, oldValue: old ?? null } });
      },
    };
  };
}
