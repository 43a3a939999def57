import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatch } from '@tributary/protocol';
import { type Entry, EntryType } from '@tributary/raft';
import test from 'ava';
import {
  type ApplyCheckpoint,
  emptyCheckpoint,
  encodeApplyCheckpoint,
  readApplyCheckpoint,
} from '../../src/partition/apply-checkpoint.ts';
import { encodePartitionEntry } from '../../src/partition/entry.ts';
import type { CopySource } from '../../src/partition/replica-copy.ts';
import { replicaIn } from './fixtures.ts';

/** A data entry as the leader proposes it: batches of `records` each, base offsets stamped. */
function dataEntry(index: number, baseOffset: number, ...records: number[]): Entry {
  const value = Buffer.alloc(400, 'v');
  const batches: Uint8Array[] = [];
  let offset = baseOffset;
  for (const count of records) {
    const batch = encodeRecordBatch(
      Array.from({ length: count }, () => ({ key: null, value, timestamp: 1 })),
      { baseOffset: offset },
    );
    batches.push(batch);
    offset += count;
  }
  return { index, term: 1, type: EntryType.Data, data: encodePartitionEntry(batches) };
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

test('a checkpoint taken while a multi-batch entry is half applied names a whole entry', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'replica-checkpoint-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  // The append buffer holds one batch of entry 2: appending the next waits for the disk,
  // as a busy replica's append does, so the checkpoint asked for meanwhile finds entry 2's
  // first batch in the log and its index not yet applied.
  const config = { maxBatchBytes: 3000, appendBufferBytesMax: 3100 };
  const replica = await replicaIn(directory, emptyCheckpoint, config);
  await replica.apply([dataEntry(1, 0, 2)]);
  const entry = dataEntry(2, 2, 3, 4, 5);
  const applying = replica.apply([entry]);
  const taken = await replica.checkpoint();
  await applying;
  await replica.close();
  // Consistent means: the index says which entries are in, and the log holds exactly them.
  const onDisk = await readApplyCheckpoint(directory);
  t.deepEqual(onDisk, taken);
  t.true(
    (onDisk.index === 1 && onDisk.nextOffset === 2) ||
      (onDisk.index === 2 && onDisk.nextOffset === 14),
    `checkpoint at index ${onDisk.index} with next offset ${onDisk.nextOffset}`,
  );
  // A restart from it replays what follows the index, and must end where it was.
  const restarted = await replicaIn(directory, onDisk, config);
  t.teardown(() => restarted.close());
  await restarted.apply([entry]);
  t.is(restarted.fenced, undefined);
  t.is(restarted.log.logEndOffset, 14);
  t.like(await restarted.checkpoint(), { index: 2, nextOffset: 14 });
});

test('a checkpoint asked for while a snapshot is installed neither waits for it nor outlives it', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'replica-checkpoint-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  // The leader applied three entries and took its checkpoint: the snapshot's image.
  const leader = await replicaIn(join(root, 'leader'));
  t.teardown(() => leader.close());
  await leader.apply([dataEntry(1, 0, 2), dataEntry(2, 2, 3), dataEntry(3, 5, 4)]);
  const image = (await leader.checkpoint()) as ApplyCheckpoint;
  t.like(image, { index: 3, nextOffset: 9 });
  // The follower has entry 1 only, and copies the records from the leader; the copy is held
  // up until the checkpoint below has answered.
  let releaseCopy!: () => void;
  const copyHeld = new Promise<void>((resolve) => {
    releaseCopy = resolve;
  });
  const source: CopySource = async (offset, maxBytes) => {
    await copyHeld;
    const read = await leader.read(offset, maxBytes);
    return { batches: read.batches, logStartOffset: read.logStartOffset, belowStart: false };
  };
  const directory = join(root, 'follower');
  const follower = await replicaIn(directory, emptyCheckpoint, {}, source);
  t.teardown(() => follower.close());
  await follower.apply([dataEntry(1, 0, 2)]);
  const config = { voters: [1], outgoingVoters: [], learners: [] };
  const restoring = follower.restore({
    metadata: { index: 3, term: 1, config },
    data: encodeApplyCheckpoint(image),
  });
  // The state is being replaced: there is nothing to checkpoint, and no waiting for the
  // copy (other replicas' checkpoints come after this one).
  t.is(await follower.checkpoint(), undefined);
  releaseCopy();
  await restoring;
  t.like(await readApplyCheckpoint(directory), { index: 3, nextOffset: 9 });
  t.like(await follower.checkpoint(), { index: 3, nextOffset: 9 });
  t.is(follower.log.logEndOffset, 9);
});
