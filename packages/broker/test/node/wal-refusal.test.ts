/**
 * A node whose Raft WAL lost a segment in its middle (chaos seed 20261171: a power loss kept
 * a later segment) must refuse to start saying why and how to repair it; it died of an
 * assertion in the WAL's recovery ("segments are consecutive").
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EntryType } from '@tributary/raft';
import { RaftWal } from '@tributary/raft/host';
import test from 'ava';

const nodeMain = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** Runs a node on `dataDir` until it exits (these tests expect it to refuse to start). */
function startNode(dataDir: string): { status: number | null; output: string } {
  const node = spawnSync(
    process.execPath,
    [
      '--import=tsx',
      nodeMain,
      '--data-dir',
      dataDir,
      '--client-port',
      '0',
      '--peer-port',
      '0',
      '--metrics-port',
      '0',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return { status: node.status, output: `${node.stdout}\n${node.stderr}` };
}

test('a WAL missing a segment in its middle: the node refuses to start, says why and how to repair', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wal-refusal-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const wal = await RaftWal.open({ dir: join(dataDir, 'raft'), segmentBytes: 4096 });
  for (let round = 0; round < 40; round++) {
    const entries = Array.from({ length: 5 }, (_, i) => ({
      index: round * 5 + i + 1,
      term: 1,
      type: EntryType.Data,
      data: new Uint8Array(100),
    }));
    wal.group(0).stage({ entries });
    await wal.sync();
  }
  await wal.close();
  const segments = readdirSync(join(dataDir, 'raft', 'wal')).sort();
  t.true(segments.length >= 3, `the WAL rolled (${segments.length} segments)`);
  rmSync(join(dataDir, 'raft', 'wal', segments[1]!));

  const node = startNode(dataDir);
  t.not(node.status, 0, 'it does not start');
  const said = node.output;
  t.regex(said, /BrokerError: the Raft WAL in .* is damaged/);
  t.regex(said, /segments after \d+ and before \d+ are missing/);
  t.regex(said, /move the 'wal' directory aside/);
  t.notRegex(said, /AssertionError/);
});

// Chaos seed 20261172: the metadata group's snapshot file was lost; the WAL fenced the group
// after its recovery report was made, the node's check read only the report, and the node
// died later of "group 0 is fenced" without the repair.
test('a lost snapshot file of the metadata log: the node refuses to start, says why and how to repair', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wal-refusal-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const wal = await RaftWal.open({ dir: join(dataDir, 'raft') });
  const config = { voters: [1], outgoingVoters: [], learners: [] };
  const entries = Array.from({ length: 5 }, (_, i) => ({
    index: i + 1,
    term: 1,
    type: EntryType.Data,
    data: new Uint8Array(10),
  }));
  wal.group(0).stage({ entries, hardState: { term: 1, vote: 1, commit: 5 }, config });
  await wal.sync();
  wal.group(0).saveSnapshot({ metadata: { index: 3, term: 1, config }, data: new Uint8Array(1) });
  wal.group(0).compact(3);
  await wal.sync();
  await wal.close();
  const snapshots = join(dataDir, 'raft', 'snapshots');
  for (const file of readdirSync(snapshots)) rmSync(join(snapshots, file));

  const said = startNode(dataDir);
  t.not(said.status, 0, 'it does not start');
  t.regex(said.output, /BrokerError: the Raft WAL in .* is damaged/);
  t.regex(said.output, /snapshot/);
  t.regex(said.output, /move the 'wal' directory aside/);
});
