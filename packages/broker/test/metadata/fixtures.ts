/** Metadata states for tests: topics of one partition, by default with one replica on one broker. */
import {
  decodeMetadataRecord,
  encodeMetadataRecord,
  type MetadataRecord,
} from '../../src/metadata/records.ts';
import { MetadataState } from '../../src/metadata/state.ts';

/** Each record goes through its wire encoding, as a follower of the metadata log sees it. */
export function singleBrokerState(
  nodeId: number,
  topics: readonly string[],
  /** Each topic's one partition's replicas; each is registered as a broker. */
  replicas: readonly number[] = [nodeId],
): MetadataState {
  const state = new MetadataState();
  const brokers = [...new Set([nodeId, ...replicas])];
  const records: MetadataRecord[] = [
    ...brokers.map(
      (id): MetadataRecord => ({
        type: 'register-broker',
        nodeId: id,
        host: '127.0.0.1',
        port: 9000 + id,
        peerUrl: `ws://127.0.0.1:${9100 + id}`,
        incarnation: 'a',
      }),
    ),
    ...topics.map(
      (name): MetadataRecord => ({
        type: 'create-topic',
        name,
        assignment: [[...replicas]],
        configs: {},
        internal: false,
      }),
    ),
  ];
  for (const r of records)
    state.apply(state.appliedIndex + 1, decodeMetadataRecord(encodeMetadataRecord(r)));
  return state;
}
