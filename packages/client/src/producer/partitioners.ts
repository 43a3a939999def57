/**
 * Partitioners: which partition a record goes to.
 *
 * - `key` (the default): records with a key go to `xxhash64(keyBytes, seed 0) mod
 *   partitionCount`, with the hash read as an unsigned 64-bit integer; records without a
 *   key are spread as `sticky` spreads them. The same key always lands in the same
 *   partition while the partition count is unchanged. To reproduce it elsewhere: XXH64
 *   (seed 0) over the raw key bytes, unsigned, modulo the partition count.
 * - `sticky`: every record goes to one partition per topic until the batch being filled
 *   for it is closed (full or sent), then the next partition is chosen round robin. Big
 *   batches, and an even spread over time.
 * - `roundRobin`: each record to the next partition of its topic in turn; keys ignored.
 * - a custom function `({ topic, partitionCount, key, value }) => partition`.
 */
import { xxhash64 } from '@tributary/protocol';
import { InvalidArgumentError } from '../errors.ts';

export interface PartitionerArgs {
  readonly topic: string;
  readonly partitionCount: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
}

export type PartitionerFunction = (args: PartitionerArgs) => number;

export interface Partitioner {
  partition(args: PartitionerArgs): number;
  /**
   * Told, before a record would open a new batch for `partition` (the previous one is full
   * or sent), so sticky partitioning can move on; the record is then partitioned again.
   */
  onNewBatch?(topic: string, partition: number): void;
}

export type PartitionerOption = 'key' | 'sticky' | 'roundRobin' | PartitionerFunction;

/** The documented key hash: XXH64 with seed 0 of the key bytes, unsigned, mod count. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return Number(xxhash64(key) % BigInt(partitionCount));
}

export class RoundRobinPartitioner implements Partitioner {
  private readonly counters = new Map<string, number>();

  partition({ topic, partitionCount }: PartitionerArgs): number {
    const next = this.counters.get(topic) ?? 0;
    this.counters.set(topic, next + 1 >= Number.MAX_SAFE_INTEGER ? 0 : next + 1);
    return next % partitionCount;
  }
}

export class StickyPartitioner implements Partitioner {
  private readonly current = new Map<string, number>();

  partition({ topic, partitionCount }: PartitionerArgs): number {
    const sticky = (this.current.get(topic) ?? 0) % partitionCount;
    this.current.set(topic, sticky);
    return sticky;
  }

  /** The sticky partition's batch is closed: move to the next partition. */
  onNewBatch(topic: string, partition: number): void {
    if (this.current.get(topic) === partition) this.current.set(topic, partition + 1);
  }
}

export class KeyPartitioner implements Partitioner {
  private readonly unkeyed = new StickyPartitioner();

  partition(args: PartitionerArgs): number {
    if (args.key === null) return this.unkeyed.partition(args);
    return partitionForKey(args.key, args.partitionCount);
  }

  onNewBatch(topic: string, partition: number): void {
    this.unkeyed.onNewBatch(topic, partition);
  }
}

class CustomPartitioner implements Partitioner {
  constructor(private readonly choose: PartitionerFunction) {}

  partition(args: PartitionerArgs): number {
    // The producer reuses its args object from record to record; the application's function
    // gets its own, which it may keep.
    const partition = this.choose({
      topic: args.topic,
      partitionCount: args.partitionCount,
      key: args.key,
      value: args.value,
    });
    if (!Number.isSafeInteger(partition) || partition < 0 || partition >= args.partitionCount) {
      throw new InvalidArgumentError(
        `partitioner returned ${String(partition)} for ${args.topic} (${args.partitionCount} partitions)`,
      );
    }
    return partition;
  }
}

export function createPartitioner(option: PartitionerOption = 'key'): Partitioner {
  if (typeof option === 'function') return new CustomPartitioner(option);
  switch (option) {
    case 'key':
      return new KeyPartitioner();
    case 'sticky':
      return new StickyPartitioner();
    case 'roundRobin':
      return new RoundRobinPartitioner();
    default:
      throw new InvalidArgumentError(`unknown partitioner ${String(option)}`);
  }
}
