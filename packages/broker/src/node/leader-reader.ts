/**
 * Reads a partition from its leader over the client protocol: how a replica that installed
 * a snapshot copies the records the snapshot does not carry.
 */
import { Api, ErrorCode, errorFromCode, ProtocolError } from '@tributary/protocol';
import type { MetadataState } from '../metadata/state.ts';
import type { PartitionReplica } from '../partition/replica.ts';
import type { CopyRead } from '../partition/replica-copy.ts';
import type { InternalClient } from './internal-client.ts';

function splitBatches(records: Uint8Array): Uint8Array[] {
  const batches: Uint8Array[] = [];
  let position = 0;
  while (position + 12 <= records.length) {
    const size =
      new DataView(records.buffer, records.byteOffset + position + 8, 4).getInt32(0) + 12;
    if (size < 12 || position + size > records.length) break;
    batches.push(records.subarray(position, position + size));
    position += size;
  }
  return batches;
}

export function leaderReader(client: InternalClient, state: () => MetadataState) {
  return async (
    replica: PartitionReplica,
    leader: number,
    offset: number,
    maxBytes: number,
  ): Promise<CopyRead> => {
    const broker = state().brokers.get(leader);
    if (!broker)
      throw new ProtocolError(ErrorCode.LeaderNotAvailable, `no address for leader ${leader}`);
    const response = await client.request(
      `${broker.host}:${broker.port}`,
      Api.Fetch,
      {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes,
        topics: [
          { name: replica.topic, partitions: [{ partition: replica.partition, offset, maxBytes }] },
        ],
      },
      30_000,
    );
    const p = response.topics[0]?.partitions[0];
    if (!p) throw new ProtocolError(ErrorCode.UnknownServerError, 'empty fetch answer');
    if (p.error === ErrorCode.OffsetOutOfRange.code && offset < p.logStartOffset) {
      return { batches: [], logStartOffset: p.logStartOffset, belowStart: true };
    }
    if (p.error !== 0) throw errorFromCode(p.error, p.message);
    return {
      batches: splitBatches(p.records),
      logStartOffset: p.logStartOffset,
      belowStart: false,
    };
  };
}
