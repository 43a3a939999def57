/**
 * A follower's log cut back by a new leader, then power lost before the acknowledged file
 * recorded the shorter log: recovery must not take the old, longer claim for amnesia.
 * Before the fix the file still claimed entries the log had rightly dropped, so the
 * replica came back with voting disabled until it re-learned them, which two such replicas
 * of three never do alone (found by test/host/power-loss.test.ts: a pair restarted after a
 * power loss could not elect).
 */
import test, { type ExecutionContext } from 'ava';
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

/**
 * Power fails now; the WAL reopened from what survived must hold the term-2 overwrite
 * 6..8, with voting on: nothing it acknowledged was lost.
 */
async function cutPowerThenCheckOverwrite(
  t: ExecutionContext,
  crash: CrashFileSystem,
  dir: string,
  seed: number,
): Promise<void> {
  let state = seed;
  await crash.cutPower(() => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  });
  const reopened = await RaftWal.open({ dir });
  t.teardown(() => reopened.close());
  const again = reopened.group(1);
  t.is(again.lastIndex(), 8);
  t.is(again.term(8), 2);
  t.is(again.votingDisabledUntilIndex, 0, 'nothing acknowledged was lost');
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
  await cutPowerThenCheckOverwrite(t, crash, dir, 7);
});

/**
 * Segment writes wait while `holdSegments` is set; after `ackArmed`, the first
 * `ackAllowed` acknowledged-file writes go through and later ones are held for good.
 */
function gatedFileSystem(base: WalFileSystem) {
  const state = {
    holdSegments: false,
    segmentsHeld: 0,
    segmentsWritten: 0,
    ackArmed: false,
    ackAllowed: 0,
    ackHeld: 0,
  };
  let releaseSegments = () => {};
  let segmentsReleased = new Promise<void>((resolve) => {
    releaseSegments = resolve;
  });
  const never = new Promise<void>(() => {});
  const gate = (path: string, file: WalFile): WalFile => {
    const acknowledged = path.endsWith('acknowledged');
    const durable = async (data: Uint8Array, position: number) => {
      if (acknowledged && state.ackArmed) {
        if (state.ackAllowed === 0) {
          state.ackHeld += 1;
          await never;
        }
        state.ackAllowed -= 1;
      }
      if (!acknowledged && state.holdSegments) {
        state.segmentsHeld += 1;
        await segmentsReleased;
      }
      await file.write(data, position);
      await file.datasync();
      if (!acknowledged) state.segmentsWritten += 1;
    };
    return forwardingFile(file, { writeDurable: durable });
  };
  const release = () => {
    state.holdSegments = false;
    releaseSegments();
    segmentsReleased = new Promise<void>((resolve) => {
      releaseSegments = resolve;
    });
  };
  return { fileSystem: forwardingFileSystem(base, gate), state, release };
}

async function until(condition: () => boolean, what: string, state: object): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// Found by the power-loss test under CPU starvation: the file claimed entry 57 at term 1
// while the log held 57 at term 2. The overwrite was staged while the flush of the entries
// it replaces was still writing; its lowering was queued ahead of that earlier flush's own
// acknowledged write, which then restored the old claim before the overwrite's batch synced.
test('an overwrite staged while the replaced entries are still being written leaves voting on after a power loss', async (t) => {
  const dir = temporaryDirectory(t);
  const crash = new CrashFileSystem(dir);
  const { fileSystem, state, release } = gatedFileSystem(crash);
  const wal = await RaftWal.open({ dir, fileSystem });
  const storage = wal.group(1);

  // 1..10 at term 1 go out; their segment write waits.
  state.segmentsWritten = 0;
  state.holdSegments = true;
  storage.stage({ entries: makeEntries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 4 } });
  void wal.sync().catch(() => {});
  await until(() => state.segmentsHeld === 1, 'the first segment write', state);

  // Meanwhile a leader of term 2 replaces 6..10 with its own 6..8.
  storage.stage({ entries: makeEntries(6, 3, 2), hardState: { term: 2, vote: 2, commit: 4 } });
  void wal.sync().catch(() => {});

  // Two acknowledged writes may land (the first flush's, and the overwrite's lowering, in
  // whichever order the WAL queues them); the overwrite's own is held, then power fails.
  state.ackArmed = true;
  state.ackAllowed = 2;
  release();
  await until(
    () => state.segmentsWritten === 2 && state.ackHeld === 1,
    'the overwrite to sync',
    state,
  );
  await cutPowerThenCheckOverwrite(t, crash, dir, 11);
});
