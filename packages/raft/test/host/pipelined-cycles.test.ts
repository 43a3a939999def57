/**
 * The host's cycles are pipelined: what arrives while a sync is in flight is staged at
 * once (into the WAL's next flush), and nothing is acknowledged before it is durable.
 * The WAL's segment writes are held at a gate here, so "while a sync is in flight" is a
 * state the test controls, not a timing accident.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { type Entry, EntryType, type Message, MessageType } from '../../src/core/types.ts';
import {
  nodeWalFileSystem,
  type WalFile,
  type WalFileSystem,
} from '../../src/durable/file-system.ts';
import { RaftWal } from '../../src/durable/wal.ts';
import { RaftHost } from '../../src/host/raft-host.ts';
import { eventually, quietLogger, RecordingMachine } from './helpers.ts';

/** The real file system, whose segment writes wait while the gate is closed. */
class GatedFileSystem {
  private opened: (() => void)[] = [];
  closed = false;
  segmentWritesStarted = 0;

  readonly fileSystem: WalFileSystem = {
    ...nodeWalFileSystem,
    open: async (path, options) => this.gate(path, await nodeWalFileSystem.open(path, options)),
  };

  open(): void {
    this.closed = false;
    for (const release of this.opened.splice(0)) release();
  }

  private wait(): Promise<void> {
    if (!this.closed) return Promise.resolve();
    return new Promise((resolve) => this.opened.push(resolve));
  }

  private gate(path: string, file: WalFile): WalFile {
    if (!path.includes(`${'/'}wal${'/'}`)) return file;
    const durable = async (data: Uint8Array, position: number) => {
      this.segmentWritesStarted++;
      await this.wait();
      if (file.writeDurable) await file.writeDurable(data, position);
      else {
        await file.write(data, position);
        await file.datasync();
      }
    };
    return {
      path: file.path,
      write: file.write.bind(file),
      datasync: file.datasync.bind(file),
      writeDurable: durable,
      truncate: file.truncate.bind(file),
      readSync: file.readSync.bind(file),
      size: file.size.bind(file),
      close: file.close.bind(file),
    };
  }
}

function entries(from: number, count: number, term: number): Entry[] {
  return Array.from({ length: count }, (_, i) => ({
    index: from + i,
    term,
    type: EntryType.Data,
    data: new TextEncoder().encode(`e${from + i}`),
  }));
}

function append(prevLogIndex: number, prevLogTerm: number, sent: Entry[], commit: number): Message {
  return {
    type: MessageType.Append,
    group: 1,
    from: 1,
    to: 2,
    term: 1,
    prevLogIndex,
    prevLogTerm,
    entries: sent,
    commit,
  };
}

test('a follower stages an append that arrives during a sync at once, and acknowledges each only once durable', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'raft-host-pipelined-'));
  const gated = new GatedFileSystem();
  const wal = await RaftWal.open({ dir, fileSystem: gated.fileSystem });
  const sent: Message[] = [];
  const host = new RaftHost({
    nodeId: 2,
    wal,
    transport: { send: (messages) => sent.push(...messages) },
    logger: quietLogger,
    tickMs: 60_000, // no elections or heartbeats during the test: the leader is scripted
    electionTicks: 10,
    heartbeatTicks: 2,
    seed: 2,
  });
  t.teardown(async () => {
    gated.open();
    await host.close();
    await wal.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const machine = new RecordingMachine();
  host.createGroup(1, {
    stateMachine: machine,
    bootstrap: { voters: [1, 2, 3], outgoingVoters: [], learners: [] },
  });
  const acks = () =>
    sent.flatMap((m) => (m.type === MessageType.AppendResponse && m.success ? [m.index] : []));

  gated.closed = true;
  const writesBefore = gated.segmentWritesStarted;
  host.receive([append(0, 0, entries(1, 2, 1), 0)]);
  await eventually(() => gated.segmentWritesStarted > writesBefore, 20_000, 'the first write');
  const stagedBefore = wal.stats().entriesStaged;
  host.receive([append(2, 1, entries(3, 2, 1), 2)]);
  // Staged while the first write is still held (before, it waited for that cycle to end).
  await eventually(() => wal.stats().entriesStaged === stagedBefore + 2, 20_000, 'staging 3..4');
  await eventually(() => machine.applied.length === 2, 20_000, 'applying the committed 1..2');
  t.deepEqual(acks(), [], 'nothing is acknowledged while the writes are held');

  gated.open();
  await eventually(() => acks().includes(4), 20_000, 'the acknowledgement of 3..4');
  t.deepEqual(acks(), [2, 4], 'acknowledgements in order, each after its own write');
  t.is(host.group(1)?.status().persistedIndex, 4);
});
