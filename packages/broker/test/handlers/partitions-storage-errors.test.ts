/**
 * Regression (found auditing the data path for disk faults): a Fetch whose segment read the
 * disk refused (EIO) was answered UNKNOWN_SERVER_ERROR, though the storage error names the
 * wire error to answer with (KAFKA_STORAGE_ERROR, `StorageError.protocolError`): the handler
 * mapped only protocol errors. The read fences the log; the partition's answer must say so,
 * and the replica must leave its Raft group (it kept leading without being able to serve).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, encodeRecordBatch, initChecksums } from '@tributary/protocol';
import { Role } from '@tributary/raft';
import { RaftHost, RaftWal } from '@tributary/raft/host';
import { type FileHandle, type FileSystem, nodeFileSystem, PartitionLog } from '@tributary/storage';
import test from 'ava';
import { type DataPathContext, handleFetch, handleProduce } from '../../src/handlers/partitions.ts';
import { silentLogger } from '../../src/logger.ts';
import type { MetadataState } from '../../src/metadata/state.ts';
import type { ReplicaManager } from '../../src/node/replica-manager.ts';
import { singleBrokerState } from '../metadata/fixtures.ts';
import { hostedReplica } from '../partition/fixtures.ts';

const nodeId = 1;

/** The node's file system, whose reads fail with EIO while `failing.reads` is set. */
function diskWithFailingReads(failing: { reads: boolean }): FileSystem {
  const eio = () => Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
  const wrap = (handle: FileHandle): FileHandle => ({
    size: () => handle.size(),
    read: (target, position) =>
      failing.reads ? Promise.reject(eio()) : handle.read(target, position),
    write: (buffers, position) => handle.write(buffers, position),
    truncate: (sizeBytes) => handle.truncate(sizeBytes),
    datasync: () => handle.datasync(),
    close: () => handle.close(),
  });
  return {
    ...nodeFileSystem,
    open: async (path, mode) => wrap(await nodeFileSystem.open(path, mode)),
  };
}

function stateWithTopic(name: string): { state: MetadataState; groupId: number } {
  const state = singleBrokerState(nodeId, [name]);
  return { state, groupId: state.topics.get(name)!.partitions[0]!.groupId };
}

test('a segment read the disk refuses is a KAFKA_STORAGE_ERROR answer for that partition', async (t) => {
  await initChecksums();
  const base = mkdtempSync(join(tmpdir(), 'partitions-storage-errors-'));
  const { state, groupId } = stateWithTopic('t');
  const wal = await RaftWal.open({ dir: join(base, 'raft') });
  const raftErrors: string[] = [];
  const host = new RaftHost({
    nodeId,
    wal,
    transport: { send: () => {} },
    logger: { warn: () => {}, error: (message) => raftErrors.push(message), debug: () => {} },
    tickMs: 10,
    electionTicks: 5,
    heartbeatTicks: 1,
    seed: 1,
  });
  const failing = { reads: false };
  const directory = join(base, 'partition');
  // No tail cache: every read goes to the segment file.
  const log = await PartitionLog.open({
    directory: join(directory, 'log'),
    fileSystem: diskWithFailingReads(failing),
    config: { tailCacheBytes: 0 },
  });
  const { replica, group } = hostedReplica(host, {
    groupId,
    nodeId,
    directory,
    log,
    voters: [nodeId],
  });
  t.teardown(async () => {
    failing.reads = false;
    await replica.close().catch(() => {});
    await host.close();
    await wal.close();
    rmSync(base, { recursive: true, force: true });
  });
  const context: DataPathContext = {
    state: () => state,
    replicas: { get: () => replica } as unknown as ReplicaManager,
    logger: silentLogger,
    messageBytesMax: 1024 * 1024,
  };
  const deadline = Date.now() + 10_000;
  let produced = -1;
  while (produced !== 0 && Date.now() < deadline) {
    const records = encodeRecordBatch([{ key: null, value: Buffer.from('v'), timestamp: 1 }]);
    const answer = await handleProduce(context, {
      acks: 'quorum',
      timeoutMs: 5_000,
      topics: [{ name: 't', partitions: [{ partition: 0, records }] }],
    });
    produced = answer.topics[0]!.partitions[0]!.error;
    // Until the single voter has elected itself and applied its term's first entry.
    if (produced !== 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  t.is(produced, 0, 'one record written');
  t.is(group.status().role, Role.Leader);
  const fetch = async () => {
    const { response, release } = await handleFetch(
      context,
      {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1024 * 1024,
        topics: [{ name: 't', partitions: [{ partition: 0, offset: 0, maxBytes: 1024 * 1024 }] }],
      },
      new AbortController().signal,
    );
    release();
    return response.topics[0]!.partitions[0]!;
  };
  t.like(await fetch(), { error: 0, highWatermark: 1 });

  failing.reads = true;
  const refused = await fetch();
  t.is(refused.error, ErrorCode.StorageError.code, `answered ${refused.error}: ${refused.message}`);
  t.is(refused.records.length, 0);
  t.truthy(replica.fenced, 'the read fenced the partition log');
  // And the replica left its Raft group: before, the group went on leading (heartbeats
  // need no log), so with more replicas the partition stayed unavailable until a restart.
  t.truthy(group.fault, 'the Raft group is fenced on this node');
  t.true(raftErrors.some((e) => e.startsWith('raft group fenced')));
  t.false(group.propose(new Uint8Array([1])).ok, 'it proposes nothing more');
});
