import test from 'ava';
import fc from 'fast-check';
import { lineChunks } from '../src/produce/line-chunks.ts';
import { PendingSends } from '../src/produce/pending-sends.ts';
import { untilAborted } from '../src/until-aborted.ts';

async function collect(pieces: readonly (string | Buffer)[], linesMax = 1000) {
  const chunks: string[][] = [];
  for await (const chunk of lineChunks(
    (async function* () {
      yield* pieces;
    })(),
    linesMax,
  )) {
    chunks.push(chunk);
  }
  return chunks;
}

test('each piece yields the lines it completes; a last line needs no newline', async (t) => {
  t.deepEqual(await collect(['a\nb', '\nc\n', 'd']), [['a'], ['b', 'c'], ['d']]);
  t.deepEqual(await collect(['\n\n']), [['', '']]);
  t.deepEqual(await collect(['']), []);
  t.deepEqual(await collect(['x\r\ny\r\n']), [['x', 'y']]);
});

test('chunks hold at most linesMax lines', async (t) => {
  t.deepEqual(await collect(['1\n2\n3\n4\n5\n'], 2), [['1', '2'], ['3', '4'], ['5']]);
});

test('UTF-8 split across pieces is decoded whole', async (t) => {
  const bytes = Buffer.from('é€\n');
  t.deepEqual(await collect([bytes.subarray(0, 1), bytes.subarray(1, 4), bytes.subarray(4)]), [
    ['é€'],
  ]);
});

test('however the text is cut into pieces, the same lines come out', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom('a', 'b', '\n', '\r\n', 'ü'), { maxLength: 40 }),
      fc.array(fc.nat({ max: 40 }), { maxLength: 6 }),
      async (parts, cuts) => {
        const text = parts.join('');
        const bytes = Buffer.from(text);
        const points = [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort(
          (a, b) => a - b,
        );
        const pieces = [0, ...points].map((start, i) =>
          bytes.subarray(start, [...points, bytes.length][i]),
        );
        const lines = (await collect(pieces)).flat();
        const expected = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
        if (expected[expected.length - 1] === '') expected.pop();
        t.deepEqual(lines, expected);
      },
    ),
  );
});

test('untilAborted ends a wait for the next item when the signal aborts', async (t) => {
  const controller = new AbortController();
  let returned = false;
  const never: AsyncIterable<number> = {
    [Symbol.asyncIterator]: () => ({
      next: () => new Promise<IteratorResult<number>>(() => {}),
      return: async () => {
        returned = true;
        return { done: true, value: undefined };
      },
    }),
  };
  const seen: number[] = [];
  const reading = (async () => {
    for await (const item of untilAborted(never, controller.signal)) seen.push(item);
  })();
  controller.abort();
  await reading;
  t.deepEqual(seen, []);
  t.true(returned, 'the source was returned');
});

test('pending sends: bounded in records, counting acknowledgements, first failure kept', async (t) => {
  const pending = new PendingSends(10);
  let release!: () => void;
  const slow = new Promise<void>((resolve) => {
    release = resolve;
  });
  await pending.add(slow, 8); // 8 of 10: room left, no wait
  let added = false;
  let releaseSecond!: () => void;
  const second = new Promise<void>((resolve) => {
    releaseSecond = resolve;
  });
  const adding = pending.add(second, 3).then(() => {
    added = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.false(added, 'waits while 11 records are in flight');
  release();
  await adding;
  t.true(added, 'room once the first 8 are acknowledged');
  releaseSecond();
  await pending.add(Promise.reject(new Error('first')), 1);
  await pending.add(Promise.reject(new Error('second')), 1);
  await pending.drain();
  t.is(pending.acknowledged, 11);
  t.true(pending.failed);
  t.is((pending.firstError as Error).message, 'first');
});
