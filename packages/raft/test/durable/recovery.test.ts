/**
 * The recovery decision table, case by case, on real files: torn tails are truncated,
 * damage below the fsynced position with valid records after it fences the group (or
 * every group when the record's header is unreadable), never silently skipped.
 */
import { readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { decodeAcknowledged } from '../../src/durable/acknowledged-file.ts';
import { loadChecksum } from '../../src/durable/checksum.ts';
import { RaftWal } from '../../src/durable/wal.ts';
import { makeEntries, temporaryDirectory } from './helpers.ts';

const recordHeaderBytes = 32;

/** Three groups, two flushes; returns where each record of the second flush starts. */
async function writeTwoFlushes(dir: string): Promise<{ segment: string; secondFlushAt: number }> {
  const wal = await RaftWal.open({ dir });
  for (const group of [1, 2, 3]) wal.group(group).stage({ entries: makeEntries(1, 5, 1, 100) });
  await wal.sync();
  const segment = join(dir, 'wal', readdirSync(join(dir, 'wal'))[0] as string);
  const secondFlushAt = readFileSync(segment).byteLength;
  for (const group of [1, 2, 3]) wal.group(group).stage({ entries: makeEntries(6, 5, 1, 100) });
  await wal.sync();
  await wal.close();
  return { segment, secondFlushAt };
}

function flipByte(path: string, position: number): void {
  const bytes = readFileSync(path);
  bytes[position] = (bytes[position] as number) ^ 0x40;
  writeFileSync(path, bytes);
}

test('a torn tail past the fsynced position is truncated, and nothing is lost', async (t) => {
  const dir = temporaryDirectory(t);
  const { segment } = await writeTwoFlushes(dir);
  // Bytes appended after the last fsync that never became a whole record.
  const bytes = readFileSync(segment);
  writeFileSync(segment, Buffer.concat([bytes, Buffer.from('partial record bytes')]));
  const wal = await RaftWal.open({ dir });
  t.teardown(() => wal.close());
  t.is(wal.recovery.truncatedBytes, 20);
  for (const group of [1, 2, 3]) t.is(wal.group(group).lastIndex(), 10);
  t.is(readFileSync(segment).byteLength, bytes.byteLength);
});

test('a damaged record body below the fsynced position fences exactly its group', async (t) => {
  const dir = temporaryDirectory(t);
  const { segment, secondFlushAt } = await writeTwoFlushes(dir);
  // The second flush starts with group 1's record; damage its body, not its header.
  flipByte(segment, secondFlushAt + recordHeaderBytes + 20);
  const wal = await RaftWal.open({ dir });
  t.teardown(() => wal.close());
  t.is(wal.recovery.groups.get(1)?.fault?.code, 'CORRUPT');
  t.throws(() => wal.group(1).lastIndex(), { message: /fenced/ });
  t.is(wal.group(2).lastIndex(), 10);
  t.is(wal.group(3).lastIndex(), 10);
  t.is(wal.recovery.nodeFault, undefined);
});

test('a damaged record header with valid records after it fences every group', async (t) => {
  const dir = temporaryDirectory(t);
  const { segment, secondFlushAt } = await writeTwoFlushes(dir);
  flipByte(segment, secondFlushAt + 1);
  const wal = await RaftWal.open({ dir });
  t.teardown(() => wal.close());
  t.is(wal.recovery.nodeFault?.code, 'CORRUPT');
  for (const group of [1, 2, 3]) t.truthy(wal.recovery.groups.get(group)?.fault);
});

test('a fenced group stays fenced after another restart, until it is removed', async (t) => {
  const dir = temporaryDirectory(t);
  const { segment, secondFlushAt } = await writeTwoFlushes(dir);
  flipByte(segment, secondFlushAt + recordHeaderBytes + 20);
  const first = await RaftWal.open({ dir });
  first.group(2).stage({ entries: makeEntries(11, 1, 1) });
  await first.close();
  const second = await RaftWal.open({ dir });
  t.truthy(second.recovery.groups.get(1)?.fault);
  second.removeGroup(1);
  await second.close();
  const third = await RaftWal.open({ dir });
  t.teardown(() => third.close());
  t.false(third.hasGroup(1));
  t.is(third.group(2).lastIndex(), 11);
});

test('a WAL cut below the fsynced position loses acknowledged entries: voting is disabled', async (t) => {
  const dir = temporaryDirectory(t);
  const { segment, secondFlushAt } = await writeTwoFlushes(dir);
  truncateSync(segment, secondFlushAt + 10);
  const wal = await RaftWal.open({ dir });
  t.teardown(() => wal.close());
  t.true(wal.recovery.endsBeforeSyncedPosition);
  for (const group of [1, 2, 3]) {
    const recovery = wal.recovery.groups.get(group);
    t.is(recovery?.lastIndex, 5);
    t.is(recovery?.votingDisabledUntilIndex, 10);
    t.deepEqual(recovery?.reasons, ['log-behind-acknowledged']);
  }
});

test('the voting fence survives further restarts until the log reaches it', async (t) => {
  const dir = temporaryDirectory(t);
  const { segment, secondFlushAt } = await writeTwoFlushes(dir);
  truncateSync(segment, secondFlushAt);
  const first = await RaftWal.open({ dir });
  first.group(1).stage({ entries: makeEntries(6, 2, 2) });
  await first.close();
  const second = await RaftWal.open({ dir });
  t.is(second.recovery.groups.get(1)?.votingDisabledUntilIndex, 10);
  t.deepEqual(second.recovery.groups.get(1)?.reasons, ['fence-carried-over']);
  second.group(1).stage({ entries: makeEntries(8, 3, 2) });
  await second.close();
  const third = await RaftWal.open({ dir });
  t.teardown(() => third.close());
  t.is(third.recovery.groups.get(1)?.votingDisabledUntilIndex, 0);
  t.is(third.recovery.groups.get(2)?.votingDisabledUntilIndex, 10);
});

test('a restored older copy whose log diverged disables voting past its last index', async (t) => {
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir });
  wal.group(1).stage({ entries: makeEntries(1, 10, 1) });
  await wal.sync();
  await wal.close();
  const copy = readdirSync(join(dir, 'wal')).map(
    (name) => [name, readFileSync(join(dir, 'wal', name))] as const,
  );
  const again = await RaftWal.open({ dir });
  again.group(1).stage({ entries: makeEntries(8, 2, 2) });
  await again.close();
  rmSync(join(dir, 'wal'), { recursive: true });
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'wal'));
  for (const [name, bytes] of copy) writeFileSync(join(dir, 'wal', name), bytes);
  const restored = await RaftWal.open({ dir });
  t.teardown(() => restored.close());
  const recovery = restored.recovery.groups.get(1);
  t.is(recovery?.lastIndex, 10);
  t.is(recovery?.votingDisabledUntilIndex, 11);
  t.deepEqual(recovery?.reasons, ['log-diverged-from-acknowledged']);
});

test('the WAL refuses to open when its acknowledged file is missing, unless told', async (t) => {
  const dir = temporaryDirectory(t);
  await writeTwoFlushes(dir);
  rmSync(join(dir, 'acknowledged'));
  const error = await t.throwsAsync(RaftWal.open({ dir }));
  t.is((error as { code?: string }).code, 'ACKNOWLEDGED_MISSING');
  const wal = await RaftWal.open({ dir, allowMissingAcknowledged: true });
  t.teardown(() => wal.close());
  t.is(wal.recovery.groups.get(1)?.votingDisabledUntilIndex, 11);
  t.deepEqual(wal.recovery.groups.get(1)?.reasons, ['acknowledged-state-unreadable']);
});

test('the acknowledged file: one torn slot falls back to the other; the newest wins', async (t) => {
  await loadChecksum();
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir });
  wal.group(4).stage({ entries: makeEntries(1, 1, 1) });
  await wal.sync();
  wal.group(4).stage({ entries: makeEntries(2, 1, 1) });
  await wal.sync();
  await wal.close();
  const path = join(dir, 'acknowledged');
  const bytes = readFileSync(path);
  t.is(decodeAcknowledged(bytes).groups.get(4)?.ackIndex, 2);
  // After the compact rewrite at open both slots of group 4 hold index 2; damage one.
  const reopened = await RaftWal.open({ dir });
  reopened.group(4).stage({ entries: makeEntries(3, 1, 1) });
  await reopened.close();
  const later = readFileSync(path);
  t.is(decodeAcknowledged(later).groups.get(4)?.ackIndex, 3);
  const pairAt = 192;
  for (const slot of [0, 1]) {
    const damaged = Buffer.from(later);
    damaged[pairAt + slot * 96 + 40] = (damaged[pairAt + slot * 96 + 40] as number) ^ 1;
    const state = decodeAcknowledged(damaged).groups.get(4);
    t.true(state?.ackIndex === 2 || state?.ackIndex === 3, 'the other slot still reads');
  }
});

test('a segment cut short at a record boundary, or emptied, is corruption, not a short log', async (t) => {
  for (const cutTo of ['empty', 'boundary'] as const) {
    const dir = temporaryDirectory(t);
    const wal = await RaftWal.open({ dir, segmentBytes: 4096 });
    const ends: number[] = [];
    for (let round = 0; round < 12; round++) {
      wal.group(1).stage({ entries: makeEntries(round * 5 + 1, 5, 1, 100) });
      await wal.sync();
      const first = join(dir, 'wal', readdirSync(join(dir, 'wal')).sort()[0] as string);
      ends.push(readFileSync(first).byteLength);
    }
    await wal.close();
    t.true(readdirSync(join(dir, 'wal')).length >= 2, 'the WAL rolled');
    const first = join(dir, 'wal', readdirSync(join(dir, 'wal')).sort()[0] as string);
    // Cut the first segment back to the end of an earlier flush: a valid record boundary.
    truncateSync(first, cutTo === 'empty' ? 0 : (ends[1] as number));
    const reopened = await RaftWal.open({ dir, segmentBytes: 4096 });
    t.is(reopened.recovery.nodeFault?.code, 'CORRUPT', cutTo);
    t.truthy(reopened.recovery.groups.get(1)?.fault, cutTo);
    await reopened.close();
  }
});

// Chaos seed 20261171 (64 KiB segments): a segment in the middle of the WAL was gone while a
// later one stayed, and opening tripped an assertion ("segments are consecutive") instead of
// saying what is wrong. The WAL now refuses to open with a typed error.
test('a segment missing in the middle of the WAL: a typed refusal, not an assertion', async (t) => {
  const dir = temporaryDirectory(t);
  const wal = await RaftWal.open({ dir, segmentBytes: 4096 });
  for (let round = 0; round < 40; round++) {
    wal.group(1).stage({ entries: makeEntries(round * 5 + 1, 5, 1, 100) });
    await wal.sync();
  }
  await wal.close();
  const segments = readdirSync(join(dir, 'wal')).sort();
  t.true(segments.length >= 3, `the WAL rolled (${segments.length} segments)`);
  rmSync(join(dir, 'wal', segments[1] as string));
  const error = await t.throwsAsync(RaftWal.open({ dir, segmentBytes: 4096 }));
  t.is((error as { code?: string }).code, 'SEGMENT_MISSING');
  t.regex(error.message, /segments after \d+ and before \d+ are missing/);
  t.deepEqual(
    readdirSync(join(dir, 'wal')).sort(),
    segments.filter((_, i) => i !== 1),
  );
});
