/**
 * The consumer protocol's metadata, carried as opaque bytes by JoinGroup (subscription)
 * and SyncGroup (assignment). msgpack arrays whose first element is the version; a newer
 * version may only append fields, and readers ignore fields they do not know.
 *
 *   subscription = [1, topics: [string], ownedPartitions: [[topic, [partition]]],
 *                   generationId: int (-1: none), userData: bytes | nil, rackId: string | nil]
 *   assignment   = [1, partitions: [[topic, [partition]]], userData: bytes | nil]
 *
 * `ownedPartitions` and `generationId` are what the cooperative-sticky assignor needs: the
 * partitions a member holds going into the rebalance and the generation it got them in.
 */
import { Packr } from 'msgpackr';
import { InvalidArgumentError } from '../errors.ts';

export const consumerProtocolType = 'consumer';
export const metadataVersion = 1;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface Subscription {
  readonly topics: readonly string[];
  readonly ownedPartitions: readonly TopicPartitions[];
  readonly generationId: number;
  readonly userData: Uint8Array | null;
  readonly rackId: string | null;
}

export interface Assignment {
  readonly partitions: readonly TopicPartitions[];
  readonly userData: Uint8Array | null;
}

/** Metadata from a peer that cannot be read: the member is treated as subscribing nothing. */
export class MetadataDecodeError extends InvalidArgumentError {
  constructor(what: string) {
    super(`malformed ${what}`);
    this.name = 'MetadataDecodeError';
  }
}

const toPairs = (list: readonly TopicPartitions[]) =>
  list.map((entry) => [entry.topic, [...entry.partitions]]);

export function encodeSubscription(subscription: Subscription): Uint8Array {
  return packr.pack([
    metadataVersion,
    [...subscription.topics],
    toPairs(subscription.ownedPartitions),
    subscription.generationId,
    subscription.userData,
    subscription.rackId,
  ]);
}

export function encodeAssignment(assignment: Assignment): Uint8Array {
  return packr.pack([metadataVersion, toPairs(assignment.partitions), assignment.userData]);
}

function unpack(bytes: Uint8Array, what: string): unknown[] {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch {
    throw new MetadataDecodeError(what);
  }
  if (!Array.isArray(value) || typeof value[0] !== 'number' || value[0] < 1) {
    throw new MetadataDecodeError(what);
  }
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isPartition = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function readPairs(value: unknown, what: string): TopicPartitions[] {
  if (!Array.isArray(value)) throw new MetadataDecodeError(what);
  return value.map((pair) => {
    if (!Array.isArray(pair) || !isString(pair[0]) || !Array.isArray(pair[1])) {
      throw new MetadataDecodeError(what);
    }
    if (!pair[1].every(isPartition)) throw new MetadataDecodeError(what);
    return { topic: pair[0], partitions: pair[1] as number[] };
  });
}

const bytesOrNull = (v: unknown, what: string): Uint8Array | null => {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return v;
  throw new MetadataDecodeError(what);
};

export function decodeSubscription(bytes: Uint8Array): Subscription {
  const [, topics, owned, generationId, userData, rackId] = unpack(bytes, 'subscription');
  if (!Array.isArray(topics) || !topics.every(isString))
    throw new MetadataDecodeError('subscription');
  const generation =
    typeof generationId === 'number' && Number.isSafeInteger(generationId) ? generationId : -1;
  return {
    topics,
    ownedPartitions: owned === undefined ? [] : readPairs(owned, 'subscription'),
    generationId: generation,
    userData: bytesOrNull(userData, 'subscription'),
    rackId: isString(rackId) ? rackId : null,
  };
}

export function decodeAssignment(bytes: Uint8Array): Assignment {
  if (bytes.byteLength === 0) return { partitions: [], userData: null };
  const [, partitions, userData] = unpack(bytes, 'assignment');
  return {
    partitions: readPairs(partitions, 'assignment'),
    userData: bytesOrNull(userData, 'assignment'),
  };
}
