import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatch, initChecksums } from '@tributary/protocol';
import { type Entry, EntryType } from '@tributary/raft';
import { PartitionLog } from '@tributary/storage';
import test from 'ava';
import { silentLogger } from '../../src/logger.ts';
import { emptyCheckpoint, readApplyCheckpoint } from '../../src/partition/apply-checkpoint.ts';
import { encodePartitionEntry } from '../../src/partition/entry.ts';
import { PartitionReplica } from '../../src/partition/replica.ts';

async function replicaIn(directory: string): Promise<PartitionReplica> {
  await initChecksums();
  const log = await PartitionLog.open({ directory: join(directory, 'log') });
  return new PartitionReplica({
    topic: 't',
    partition: 0,
    groupId: 7,
    nodeId: 1,
    directory,
    log,
    checkpoint: emptyCheckpoint,
    logger: silentLogger,
    copySource: () => {
      throw new Error('no snapshot in this test');
    },
  });
}

/** A data entry as the leader proposes it: one batch, its base offset already stamped. */
function dataEntry(index: number, baseOffset: number, records: number): Entry {
  const value = Buffer.from('v');
  const batch = encodeRecordBatch(
    Array.from({ length: records }, () => ({ key: null, value, timestamp: 1 })),
    { baseOffset },
  );
  return { index, term: 1, type: EntryType.Data, data: encodePartitionEntry([batch]) };
}

test('a replica with nothing applied since its last checkpoint does not write it again', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'replica-checkpoint-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const replica = await replicaIn(directory);
  t.teardown(() => replica.close());
  const file = join(directory, 'apply-checkpoint');

  await replica.apply([dataEntry(1, 0, 3)]);
  const first = await replica.checkpoint();
  t.like(first, { index: 1, nextOffset: 3 });
  t.true(existsSync(file));

  // Idle: the same checkpoint comes back and nothing is written (the file stays gone).
  rmSync(file);
  t.deepEqual(await replica.checkpoint(), first);
  t.false(existsSync(file));

  // Something applied: written again, with the new position.
  await replica.apply([dataEntry(2, 3, 2)]);
  t.like(await replica.checkpoint(), { index: 2, nextOffset: 5 });
  t.like(await readApplyCheckpoint(directory), { index: 2, term: 1, nextOffset: 5 });
});
