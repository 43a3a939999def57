/**
 * The records of `__consumer_offsets`: msgpack arrays, versioned in their first element,
 * keyed so that compaction keeps the latest committed offset per (group, topic, partition)
 * and the latest metadata per group.
 *
 *   offset key   = [1, 0, groupId, topic, partition]
 *   offset value = [1, offset, metadata, commitTimestampMs]            (null: deleted)
 *   group key    = [1, 1, groupId]
 *   group value  = [1, protocolType, generationId, protocolName | nil, leaderId | nil,
 *                   stateTimestampMs, members]                         (null: deleted)
 *   member       = [memberId, groupInstanceId | nil, clientId, clientHost,
 *                   sessionTimeoutMs, rebalanceTimeoutMs, subscription: bytes, assignment: bytes]
 *
 * The key's first element is its version and its second the record kind; the value's
 * first element is its version. A decoder meeting a version it does not know reports
 * it rather than guessing. Integrity is the log's job: every batch carries a CRC.
 */
import { Packr } from 'msgpackr';

export const recordVersion = 1;
export const offsetKind = 0;
export const groupKind = 1;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

export interface OffsetKey {
  readonly kind: 'offset';
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
}

export interface GroupKey {
  readonly kind: 'group';
  readonly groupId: string;
}

export type RecordKey = OffsetKey | GroupKey;

export interface CommittedOffset {
  readonly offset: number;
  readonly metadata: string;
  readonly commitTimestampMs: number;
}

export interface StoredMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly subscription: Uint8Array;
  readonly assignment: Uint8Array;
}

export interface StoredGroup {
  readonly protocolType: string;
  readonly generationId: number;
  readonly protocolName: string | null;
  readonly leaderId: string | null;
  readonly stateTimestampMs: number;
  readonly members: readonly StoredMember[];
  /**
   * Stored when members left or expired from a stable group: the image is that generation
   * minus them, and a new round is owed. A coordinator that loads it starts that round, so
   * the leavers' partitions do not stay unassigned when the remaining members never heard of
   * the round from the old coordinator. Absent (false) in older records.
   */
  readonly rebalancePending?: boolean;
}

export class OffsetRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OffsetRecordError';
  }
}

export function encodeKey(key: RecordKey): Uint8Array {
  return key.kind === 'offset'
    ? packr.pack([recordVersion, offsetKind, key.groupId, key.topic, key.partition])
    : packr.pack([recordVersion, groupKind, key.groupId]);
}

export function encodeOffset(value: CommittedOffset): Uint8Array {
  return packr.pack([recordVersion, value.offset, value.metadata, value.commitTimestampMs]);
}

export function encodeGroup(value: StoredGroup): Uint8Array {
  return packr.pack([
    recordVersion,
    value.protocolType,
    value.generationId,
    value.protocolName,
    value.leaderId,
    value.stateTimestampMs,
    value.members.map((m) => [
      m.memberId,
      m.groupInstanceId,
      m.clientId,
      m.clientHost,
      m.sessionTimeoutMs,
      m.rebalanceTimeoutMs,
      m.subscription,
      m.assignment,
    ]),
    value.rebalancePending === true,
  ]);
}

function unpackArray(bytes: Uint8Array, what: string): unknown[] {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch {
    throw new OffsetRecordError(`${what} is not msgpack`);
  }
  if (!Array.isArray(value)) throw new OffsetRecordError(`${what} is not an array`);
  if (value[0] !== recordVersion) {
    throw new OffsetRecordError(`${what} has unknown version ${String(value[0])}`);
  }
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isStringOrNull = (v: unknown): v is string | null => v === null || isString(v);

export function decodeKey(bytes: Uint8Array): RecordKey {
  const [, kind, groupId, topic, partition] = unpackArray(bytes, 'key');
  if (!isString(groupId)) throw new OffsetRecordError('key without a group id');
  if (kind === groupKind) return { kind: 'group', groupId };
  if (kind === offsetKind && isString(topic) && isInt(partition) && partition >= 0) {
    return { kind: 'offset', groupId, topic, partition };
  }
  throw new OffsetRecordError(`key of unknown kind ${String(kind)}`);
}

export function decodeOffset(bytes: Uint8Array): CommittedOffset {
  const [, offset, metadata, commitTimestampMs] = unpackArray(bytes, 'offset value');
  if (!isInt(offset) || offset < 0 || !isString(metadata) || !isInt(commitTimestampMs)) {
    throw new OffsetRecordError('malformed offset value');
  }
  return { offset, metadata, commitTimestampMs };
}

export function decodeGroup(bytes: Uint8Array): StoredGroup {
  const [
    ,
    protocolType,
    generationId,
    protocolName,
    leaderId,
    stateTimestampMs,
    members,
    rebalancePending,
  ] = unpackArray(bytes, 'group value');
  if (
    !isString(protocolType) ||
    !isInt(generationId) ||
    !isStringOrNull(protocolName) ||
    !isStringOrNull(leaderId) ||
    !isInt(stateTimestampMs) ||
    !Array.isArray(members) ||
    (rebalancePending !== undefined && typeof rebalancePending !== 'boolean')
  ) {
    throw new OffsetRecordError('malformed group value');
  }
  return {
    protocolType,
    generationId,
    protocolName,
    leaderId,
    stateTimestampMs,
    members: members.map(decodeMember),
    ...(rebalancePending === true ? { rebalancePending } : {}),
  };
}

function decodeMember(value: unknown): StoredMember {
  if (!Array.isArray(value)) throw new OffsetRecordError('malformed member');
  const [memberId, groupInstanceId, clientId, clientHost, session, rebalance, sub, assign] = value;
  if (
    !isString(memberId) ||
    !isStringOrNull(groupInstanceId) ||
    !isString(clientId) ||
    !isString(clientHost) ||
    !isInt(session) ||
    !isInt(rebalance) ||
    !(sub instanceof Uint8Array) ||
    !(assign instanceof Uint8Array)
  ) {
    throw new OffsetRecordError('malformed member');
  }
  return {
    memberId,
    groupInstanceId,
    clientId,
    clientHost,
    sessionTimeoutMs: session,
    rebalanceTimeoutMs: rebalance,
    subscription: sub,
    assignment: assign,
  };
}
