/**
 * Table operators. A table forwards `Change`s: a key's new value and the one it replaced.
 * The source of a table keeps its latest value per key in a store; filter and mapValues
 * transform changes as they pass; toStream turns changes back into records; the
 * re-grouping map of `KTable.groupBy` splits each change into a subtraction from the old
 * group and an addition to the new one.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../engine/processor.ts';
import type { Change, StreamRecord } from '../engine/record.ts';
import type { KeyValueStore } from '../state/key-value-store.ts';

/** A table read from a topic: a record with a null value deletes its key; null keys are skipped. */
export function tableSourceProcessor(storeName: string): ProcessorSupplier {
  return () => {
    let context: ProcessorContext;
    let store: KeyValueStore<unknown, unknown>;
    const processor: Processor = {
      init(ctx) {
        context = ctx;
        store = ctx.getStateStore(storeName);
      },
      process(record) {
        if (record.key === null || record.key === undefined) return;
        const oldValue = store.get(record.key) ?? null;
        store.put(record.key, record.value);
        const change: Change<unknown> = { newValue: record.value ?? null, oldValue };
        context.forward({ ...record, value: change });
      },
    };
    return processor;
  };
}

/** Applies `fn` to both sides of every change; forwards unless both come out null. */
export function tableChangeProcessor(
  fn: (key: unknown, value: unknown) => unknown | null,
  materializedStore?: string,
): ProcessorSupplier {
  return () => {
    let context: ProcessorContext;
    let store: KeyValueStore<unknown, unknown> | undefined;
    return {
      init(ctx) {
        context = ctx;
        if (materializedStore) store = ctx.getStateStore(materializedStore);
      },
      process(record: StreamRecord) {
        const change = record.value as Change<unknown>;
        const newValue =
          change.newValue === null ? null : (fn(record.key, change.newValue) ?? null);
        const oldValue =
          change.oldValue === null ? null : (fn(record.key, change.oldValue) ?? null);
        if (newValue === null && oldValue === null) return;
        store?.put(record.key, newValue);
        context.forward({ ...record, value: { newValue, oldValue } });
      },
    };
  };
}

/** The table's changes as a stream of its new values (null: the key was deleted). */
export function toStreamProcessor(): ProcessorSupplier {
  return () => {
    let context: ProcessorContext;
    return {
      init(ctx) {
        context = ctx;
      },
      process(record: StreamRecord) {
        context.forward({ ...record, value: (record.value as Change<unknown>).newValue });
      },
    };
  };
}

/** A value on its way to a grouped-table aggregation: added to or subtracted from its group. */
export interface GroupChange<V> {
  readonly op: 'add' | 'subtract';
  readonly value: V;
}

/**
 * `KTable.groupBy`: maps each change to the groups it leaves and joins. The subtraction goes
 * first, as in Kafka, so a value moving within one group never drops out of it.
 */
export function tableRegroupProcessor(
  selector: (key: unknown, value: unknown) => { key: unknown; value: unknown },
): ProcessorSupplier {
  return () => {
    let context: ProcessorContext;
    return {
      init(ctx) {
        context = ctx;
      },
      process(record: StreamRecord) {
        const change = record.value as Change<unknown>;
        if (change.oldValue !== null) {
          const old = selector(record.key, change.oldValue);
          const value: GroupChange<unknown> = { op: 'subtract', value: old.value };
          if (old.key !== null && old.key !== undefined)
            context.forward({ ...record, key: old.key, value });
        }
        if (change.newValue !== null) {
          const next = selector(record.key, change.newValue);
          const value: GroupChange<unknown> = { op: 'add', value: next.value };
          if (next.key !== null && next.key !== undefined)
            context.forward({ ...record, key: next.key, value });
        }
      },
    };
  };
}
