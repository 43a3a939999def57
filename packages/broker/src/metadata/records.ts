/**
 * The metadata log's records: every change to cluster metadata is one of these, proposed
 * by the controller leader to Raft group 0 and applied in order by every node.
 *
 *   entry = [version: 1, record: map]   (msgpack)
 *
 * A record that fails its schema when read back from a committed entry is corruption: the
 * node stops applying metadata rather than guess.
 */
import { schema as s } from '@tributary/protocol';
import { Packr } from 'msgpackr';

const nodeId = s.int({ min: 1, max: 2 ** 31 - 1 });
const groupId = s.int({ min: 1 });
const topicName = s.string({ minLength: 1, maxLength: 249, pattern: /^[a-zA-Z0-9._-]+$/ });
const replicaList = s.array(nodeId, { maxItems: 7 });
const configs = s.record(
  s.string({ minLength: 1, maxLength: 255 }),
  s.string({ maxLength: 4096 }),
  {
    maxEntries: 100,
  },
);

const registerBroker = s.object({
  type: s.literal('register-broker'),
  nodeId,
  host: s.string({ minLength: 1, maxLength: 255 }),
  port: s.int({ min: 1, max: 65535 }),
  peerUrl: s.string({ minLength: 1, maxLength: 512 }),
  /** Changes each time the process starts, so a restart is told apart from a duplicate. */
  incarnation: s.string({ minLength: 1, maxLength: 64 }),
});
const unregisterBroker = s.object({ type: s.literal('unregister-broker'), nodeId });
const createTopic = s.object({
  type: s.literal('create-topic'),
  name: topicName,
  /** Replica list per partition; the first replica is the preferred leader. */
  assignment: s.array(replicaList, { maxItems: 10_000 }),
  configs,
  internal: s.boolean(),
});
const deleteTopic = s.object({ type: s.literal('delete-topic'), name: topicName });
const alterTopicConfigs = s.object({
  type: s.literal('alter-topic-configs'),
  name: topicName,
  set: configs,
  delete: s.array(s.string({ minLength: 1, maxLength: 255 }), { maxItems: 100 }),
});
const partitionLeader = s.object({
  type: s.literal('partition-leader'),
  groupId,
  leader: s.int({ min: -1, max: 2 ** 31 - 1 }),
  term: s.int({ min: 0 }),
});
const reassignPartition = s.object({
  type: s.literal('reassign-partition'),
  groupId,
  targetReplicas: replicaList,
});
const completeReassignment = s.object({
  type: s.literal('complete-reassignment'),
  groupId,
  replicas: replicaList,
});
/** Asks the leaders of these partitions to hand leadership to their preferred replica. */
const electPreferredLeaders = s.object({
  type: s.literal('elect-preferred-leaders'),
  groupIds: s.array(groupId, { maxItems: 1_000_000 }),
});
const allocateProducerIds = s.object({
  type: s.literal('allocate-producer-ids'),
  nodeId,
  count: s.int({ min: 1, max: 1_000_000 }),
});

export type RegisterBrokerRecord = s.Infer<typeof registerBroker>;
export type UnregisterBrokerRecord = s.Infer<typeof unregisterBroker>;
export type CreateTopicRecord = s.Infer<typeof createTopic>;
export type DeleteTopicRecord = s.Infer<typeof deleteTopic>;
export type AlterTopicConfigsRecord = s.Infer<typeof alterTopicConfigs>;
export type PartitionLeaderRecord = s.Infer<typeof partitionLeader>;
export type ReassignPartitionRecord = s.Infer<typeof reassignPartition>;
export type CompleteReassignmentRecord = s.Infer<typeof completeReassignment>;
export type AllocateProducerIdsRecord = s.Infer<typeof allocateProducerIds>;
export type ElectPreferredLeadersRecord = s.Infer<typeof electPreferredLeaders>;

export type MetadataRecord =
  | RegisterBrokerRecord
  | UnregisterBrokerRecord
  | CreateTopicRecord
  | DeleteTopicRecord
  | AlterTopicConfigsRecord
  | PartitionLeaderRecord
  | ReassignPartitionRecord
  | CompleteReassignmentRecord
  | AllocateProducerIdsRecord
  | ElectPreferredLeadersRecord;

const schemasByType: Record<MetadataRecord['type'], s.Schema<unknown>> = {
  'register-broker': registerBroker,
  'unregister-broker': unregisterBroker,
  'create-topic': createTopic,
  'delete-topic': deleteTopic,
  'alter-topic-configs': alterTopicConfigs,
  'partition-leader': partitionLeader,
  'reassign-partition': reassignPartition,
  'complete-reassignment': completeReassignment,
  'allocate-producer-ids': allocateProducerIds,
  'elect-preferred-leaders': electPreferredLeaders,
};

const recordVersion = 1;
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

export class MetadataRecordError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'MetadataRecordError';
  }
}

export function encodeMetadataRecord(record: MetadataRecord): Uint8Array {
  checkMetadataRecord(record);
  return packr.pack([recordVersion, record]);
}

export function checkMetadataRecord(value: unknown): MetadataRecord {
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !Object.hasOwn(schemasByType, type)) {
    throw new MetadataRecordError(`unknown metadata record type ${JSON.stringify(type)}`);
  }
  try {
    return schemasByType[type as MetadataRecord['type']].check(value, 'record') as MetadataRecord;
  } catch (cause) {
    throw new MetadataRecordError(`invalid ${type} record: ${(cause as Error).message}`, { cause });
  }
}

export function decodeMetadataRecord(bytes: Uint8Array): MetadataRecord {
  let decoded: unknown;
  try {
    decoded = packr.unpack(bytes);
  } catch (cause) {
    throw new MetadataRecordError('metadata entry is not msgpack', { cause });
  }
  if (!Array.isArray(decoded) || decoded[0] !== recordVersion) {
    throw new MetadataRecordError('metadata entry has an unknown version');
  }
  return checkMetadataRecord(decoded[1]);
}
