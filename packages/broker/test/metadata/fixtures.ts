/** Metadata states for tests: one broker registered, topics with one replica on it. */
import {
  decodeMetadataRecord,
  encodeMetadataRecord,
  type MetadataRecord,
} from '../../src/metadata/records.ts';
import { MetadataState } from '../../src/metadata/state.ts';

/** Each record goes through its wire encoding, as a follower of the metadata log sees it. */
export function singleBrokerState(nodeId: number, topics: readonly string[]): MetadataState {
  const state = new MetadataState();
  const records: MetadataRecord[] = [
    {
      type: 'register-broker',
      nodeId,
      host: '127.0.0.1',
      port: 9001,
      peerUrl: 'ws://127.0.0.1:9101',
      incarnation: 'a',
    },
    ...topics.map(
      (name): MetadataRecord => ({
        type: 'create-topic',
        name,
        assignment: [[nodeId]],
        configs: {},
        internal: false,
      }),
    ),
  ];
  for (const r of records)
    state.apply(state.appliedIndex + 1, decodeMetadataRecord(encodeMetadataRecord(r)));
  return state;
}
