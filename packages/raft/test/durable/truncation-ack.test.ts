/**
 * A follower's log cut back by a new leader, then power lost before the acknowledged file
 * recorded the shorter log: recovery must not take the old, longer claim for amnesia.
 * Before the fix the file still claimed entries the log had rightly dropped, so the
 * replica came back with voting disabled until it re-learned them, which two such replicas
 * of three never do alone (found by test/host/power-loss.test.ts: a pair restarted after a
 * power loss could not elect).
 */
import test from 'ava';
import type { WalFile, WalFileSystem } from '../../src/durable/file-system.ts';
import { RaftWal } from '../../src/durable/wal.ts';
import { CrashFileSystem } from './crash-file-system.ts';
import {
  forwardingFile,
  forwardingFileSystem,
  makeEntries,
  temporaryDirectory,
} from './helpers.ts';

/**
 * Holds every acknowledged-file write that starts after a WAL segment write made once
 * `armed`: a power cut then lands between the batch and its acknowledged write.
 */
function holdingAcknowledgedAfterSegment(base: WalFileSystem) {
  const state = { armed: false, segmentWritten: false, held: 0 };
  const never = new Promise<void>(() => {});
  const gate = (path: string, file: WalFile): WalFile => {
    const acknowledged = path.endsWith('acknowledged');
    const hold = async <T>(operation: () => Promise<T>): Promise<T | undefined> => {
      if (acknowledged && state.segmentWritten) {
        state.held += 1;
        await never;
      }
      const result = await operation();
      if (!acknowledged && state.armed) state.segmentWritten = true;
      return result;
    };
    return forwardingFile(file, {
      write: async (data, position) => void (await hold(() => file.write(data, position))),
      datasync: async () => void (await hold(() => file.datasync())),
      writeDurable: async (data, position) =>
        void (await hold(async () => {
          await file.write(data, position);
          await file.datasync();
        })),
    });
  };
  const fileSystem = forwardingFileSystem(base, gate);
  return { fileSystem, state };
}

test('entries replaced by a new leader, then power lost before the acknowledged write, leave voting on', async (t) => {
  const dir = temporaryDirectory(t);
  const crash = new CrashFileSystem(dir);
  const { fileSystem, state } = holdingAcknowledgedAfterSegment(crash);
  const wal = await RaftWal.open({ dir, fileSystem });
  const storage = wal.group(1);
  storage.stage({ entries: makeEntries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 4 } });
  await wal.sync(); // 1..10 at term 1 acknowledged

  // A leader of term 2 replaces 6..10 with its own 6..8.
  state.armed = true;
  storage.stage({ entries: makeEntries(6, 3, 2), hardState: { term: 2, vote: 2, commit: 4 } });
  void wal.sync().catch(() => {});
  const deadline = Date.now() + 20_000;
  while (state.held === 0) {
    if (Date.now() > deadline) return t.fail('the acknowledged write after the batch never came');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  let seed = 7;
  await crash.cutPower(() => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  });

  const reopened = await RaftWal.open({ dir });
  t.teardown(() => reopened.close());
  const again = reopened.group(1);
  t.is(again.lastIndex(), 8);
  t.is(again.term(8), 2);
  t.is(again.votingDisabledUntilIndex, 0, 'nothing acknowledged was lost');
});
