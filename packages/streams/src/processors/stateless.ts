/**
 * Record-at-a-time operators: each turns one record into zero or more (map, mapValues,
 * filter, flatMap, selectKey, peek all reduce to this), and `branch`, which sends a record to
 * the first branch whose predicate it satisfies.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../engine/processor.ts';
import type { StreamRecord } from '../engine/record.ts';

export type RecordTransform = (record: StreamRecord) => Iterable<StreamRecord>;

export function transformProcessor(transform: RecordTransform): ProcessorSupplier {
  return () => {
    let context: ProcessorContext;
    const processor: Processor = {
      init(ctx) {
        context = ctx;
      },
      process(record) {
        for (const out of transform(record)) context.forward(out);
      },
    };
    return processor;
  };
}

export function branchProcessor(
  predicates: readonly ((record: StreamRecord) => boolean)[],
  childNames: readonly string[],
): ProcessorSupplier {
  return () => {
    let context: ProcessorContext;
    return {
      init(ctx) {
        context = ctx;
      },
      process(record) {
        const index = predicates.findIndex((predicate) => predicate(record));
        if (index >= 0) context.forward(record, childNames[index]);
      },
    };
  };
}

/** Passes records on unchanged: the head of each branch, and merge points. */
export function passThroughProcessor(): ProcessorSupplier {
  return transformProcessor((record) => [record]);
}
