/**
 * The pieces the real-process tests rely on, checked alone: the checker finds each kind of
 * violation, the applied-entries file survives a torn last line and refuses damage, the
 * WAL damage is a function of its seed, and bad command lines and control lines are typed
 * errors.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { checkApplied } from '../../test-support/applied-check.ts';
import {
  AppliedLog,
  type AppliedSequences,
  readAppliedLog,
} from '../../test-support/applied-log.ts';
import { parseRequest } from '../../test-support/control-protocol.ts';
import { LatencyHistogram } from '../../test-support/latency-histogram.ts';
import { clusterSecretVariable, parseNodeConfig } from '../../test-support/node-config.ts';
import {
  decodeProposalId,
  encodeProposal,
  encodeProposals,
} from '../../test-support/proposal-payload.ts';
import { damageWal } from '../../test-support/wal-damage.ts';

function sequences(records: [number, number, number][]): AppliedSequences {
  return new Map([[1, records.map(([index, term, id]) => ({ index, term, id }))]]);
}

function check(byNode: [number, number, number][][], acked: number[], proposed = [1, 2, 3, 4, 5]) {
  return checkApplied({
    groups: [1],
    sequences: new Map(byNode.map((records, i) => [i + 1, sequences(records)])),
    acked: new Map([[1, new Set(acked)]]),
    proposed: new Set(proposed),
  });
}

test('the checker accepts prefixes of one sequence that hold every acknowledged id', (t) => {
  const full: [number, number, number][] = [
    [2, 1, 1],
    [3, 1, 2],
    [5, 2, 3],
  ];
  t.deepEqual(check([full, full, full], [1, 2, 3]), []);
  t.deepEqual(check([full, full.slice(0, 2), full], [1, 2]), []);
});

test('the checker finds a lost, a reordered, a duplicated, a diverging and a phantom entry', (t) => {
  const full: [number, number, number][] = [
    [2, 1, 1],
    [3, 1, 2],
    [5, 2, 3],
  ];
  t.regex(
    check([full, full.slice(0, 2), full], [3]).join(),
    /node 2 group 1: 1 acknowledged ids missing \(3\)/,
  );
  t.regex(
    check(
      [
        full,
        [
          [2, 1, 2],
          [3, 1, 1],
        ],
        full,
      ],
      [],
    ).join(),
    /node 2 group 1: position 0/,
  );
  t.regex(
    check(
      [
        full,
        [
          [2, 1, 1],
          [3, 1, 1],
        ],
        full,
      ],
      [],
    ).join(),
    /id 1 applied twice/,
  );
  t.regex(
    check(
      [
        full,
        [
          [2, 1, 1],
          [3, 2, 2],
        ],
        full,
      ],
      [],
    ).join(),
    /position 1 holds index 3 term 2/,
  );
  t.regex(check([[[2, 1, 9]]], [], [1]).join(), /id 9 never proposed/);
  t.regex(
    check(
      [
        [
          [3, 1, 1],
          [2, 1, 2],
        ],
      ],
      [],
    ).join(),
    /index 2 after 3/,
  );
});

test('the applied-entries file: group commit, a torn last line cut, damage refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'applied-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'applied.log');
  const log = await AppliedLog.open(path);
  await Promise.all([
    log.append(1, [{ index: 2, term: 1, id: 10 }]),
    log.append(2, [
      { index: 2, term: 1, id: 11 },
      { index: 3, term: 1, id: 12 },
    ]),
  ]);
  await log.close();
  writeFileSync(path, `${readFileSync(path, 'utf8')}1 3 1 1`); // a torn line
  t.deepEqual(
    (await readAppliedLog(path)).get(2)?.map((r) => r.id),
    [11, 12],
  );
  const reopened = await AppliedLog.open(path);
  t.deepEqual(reopened.recovered.get(1), [{ index: 2, term: 1, id: 10 }]);
  await reopened.append(1, [{ index: 4, term: 1, id: 13 }]);
  await reopened.close();
  t.deepEqual(
    (await readAppliedLog(path)).get(1)?.map((r) => r.id),
    [10, 13],
  );
  writeFileSync(path, '1 2 1 10\nbroken line\n1 3 1 11\n');
  await t.throwsAsync(AppliedLog.open(path), { message: /applied.log:2/ });
});

test('WAL damage is a function of the seed', async (t) => {
  const results = [];
  for (let run = 0; run < 2; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'wal-damage-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'wal'));
    writeFileSync(join(dir, 'wal', '00000000000000000001.wal'), Buffer.alloc(10_000, 0xab));
    const damage = await damageWal(dir, 12);
    results.push({ damage, bytes: readFileSync(join(dir, 'wal', '00000000000000000001.wal')) });
  }
  t.deepEqual(results[0]?.damage, results[1]?.damage);
  t.true(results[0]?.bytes.equals(results[1]?.bytes as Buffer));
  t.true(results[0]?.damage.kind === 'truncate-and-flip-bits');
  t.true((results[0]?.damage.bytesAfter ?? 0) < 10_000);
});

test('proposal payloads carry their id; other bytes are not proposals', (t) => {
  t.is(decodeProposalId(encodeProposal(2 ** 40 + 3, 100)), 2 ** 40 + 3);
  t.is(encodeProposal(1, 1024).byteLength, 1024);
  t.is(decodeProposalId(new Uint8Array(12)), undefined);
  t.is(decodeProposalId(new Uint8Array(3)), undefined);
  const ids = [0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER];
  const payloads = encodeProposals(ids, 100);
  t.deepEqual(
    payloads.map((p) => decodeProposalId(p)),
    ids,
  );
  t.true(payloads.every((p) => p.byteLength === 100 && p[99] === 0x2e));
  const beyondSafe = encodeProposal(1, 12);
  beyondSafe.writeUInt32LE(2 ** 21, 8);
  t.is(decodeProposalId(beyondSafe), undefined);
});

test('bad command lines and control lines are typed errors', (t) => {
  const env = { [clusterSecretVariable]: 'a secret of more than sixteen bytes' };
  const base = ['--node-id', '1', '--dir', '/tmp/x', '--voters', '1,2,3'];
  t.is(parseNodeConfig(base, env).groups, 1);
  t.throws(() => parseNodeConfig(base, {}), { message: new RegExp(clusterSecretVariable) });
  t.throws(() => parseNodeConfig([...base, '--groups', '0'], env), { message: /--groups/ });
  t.throws(() => parseNodeConfig([...base, '--peers', '1=ws://x:1'], env), {
    message: /this node/,
  });
  t.throws(() => parseNodeConfig([...base, '--what'], env), { message: /what/ });
  t.throws(() => parseNodeConfig(['--node-id', 'x', '--dir', 'd', '--voters', '1'], env), {
    message: /--node-id/,
  });
  for (const line of [
    '',
    'null',
    '[]',
    '{"op":"status"}',
    '{"id":1,"op":"propose","group":1,"ids":[1.5],"size":64}',
    '{"id":1,"op":"propose","group":1,"ids":[1],"size":4}',
    '{"id":1,"op":"set-peers","peers":{"x":"ws://a"}}',
    '{"id":1,"op":"transfer-leader","group":1,"to":0}',
    '{"id":1,"op":"transfer-leader","group":-1,"to":2}',
  ]) {
    const parsed = parseRequest(line);
    t.true('error' in parsed && parsed.error.code === 'BAD_REQUEST', line);
  }
  t.deepEqual(parseRequest('{"id":7,"op":"status"}'), { id: 7, op: 'status' });
  t.deepEqual(parseRequest('{"id":8,"op":"transfer-leader","group":3,"to":2}'), {
    id: 8,
    op: 'transfer-leader',
    group: 3,
    to: 2,
  });
});

test('the latency histogram: quantiles within 2%, merged across processes', (t) => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  for (let i = 1; i <= 1000; i++) (i % 2 === 0 ? a : b).record(i / 10);
  a.add(b.toCounts());
  t.is(a.count, 1000);
  t.true(Math.abs(a.quantileMs(0.5) - 50) / 50 < 0.02);
  t.true(Math.abs(a.quantileMs(0.99) - 99) / 99 < 0.02);
});
