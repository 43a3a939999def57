/** A client slot records what its client observed between operations, and renames after info. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { readHistory } from '../src/history/history-file.ts';
import { pairOperations } from '../src/history/pairs.ts';
import { HistoryRecorder } from '../src/history/recorder.ts';
import { ClientSlot } from '../src/runner/client-slot.ts';

const module = fileURLToPath(new URL('./fixtures/observing-client.ts', import.meta.url));

test('observed facts are recorded right after the completion, as ok operations of that process', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jepsen-slot-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const recorder = new HistoryRecorder(join(dir, 'history.jsonl'), { flushIntervalMs: 0 });
  let ids = 0;
  const slot = await ClientSlot.start({
    module,
    config: {},
    recorder,
    nowMs: () => ids,
    operationTimeoutMs: 5000,
    nextProcessId: () => ids++,
  });
  t.teardown(() => slot.close());
  t.is(await slot.execute({ f: 'poll', value: { group: 'g' } }), 'ok');
  t.is(await slot.execute({ f: 'send', value: { topic: 't', value: 1 } }), 'info');
  t.is(await slot.execute({ f: 'poll', value: { group: 'g' } }), 'ok');
  recorder.close();
  const history = await readHistory(join(dir, 'history.jsonl'));
  t.deepEqual(
    history.map((op) => `${op.process} ${op.type} ${op.f}`),
    [
      '0 invoke poll',
      '0 ok poll',
      '0 invoke assign',
      '0 ok assign',
      // the malformed generation -1 is dropped, nothing of it written
      '0 invoke assign',
      '0 ok assign',
      '0 invoke send',
      '0 info send',
      '1 invoke poll',
      '1 ok poll',
      '1 invoke assign',
      '1 ok assign',
      '1 invoke assign',
      '1 ok assign',
    ],
  );
  t.is(pairOperations(history).length, 7, 'every invoke has its completion');
});
