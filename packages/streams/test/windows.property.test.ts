/**
 * Differential properties for the order-sensitive operators: stream-stream joins (inner,
 * left, outer, with late records), sliding windows and session windows, each against a
 * brute-force computation over the same random, out-of-order inputs.
 */
import { deepStrictEqual } from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import {
  JoinWindows,
  Serdes,
  SessionWindows,
  SlidingWindows,
  StreamsBuilder,
  TopologyTestDriver,
  type Windowed,
  windowedSerde,
} from '../src/index.ts';

const s = Serdes.string();
const n = Serdes.number();
const ws = windowedSerde(s);
const keys = ['a', 'b', 'c'];
const record = fc.record({ key: fc.constantFrom(...keys), ts: fc.integer({ min: 0, max: 60 }) });
const label = (w: Windowed<string>) => `${w.key}@${w.window.start}-${w.window.end}`;

type Side = 'L' | 'R';
type Kind = 'inner' | 'left' | 'outer';

function joinReference(
  kind: Kind,
  before: number,
  after: number,
  grace: number,
  inputs: readonly { side: Side; key: string; ts: number; id: string }[],
): string[] {
  type Entry = { side: Side; key: string; ts: number; id: string; matched: boolean; seq: number };
  const buffers: Record<Side, Entry[]> = { L: [], R: [] };
  const out: string[] = [];
  let streamTime = -1;
  let seq = 0;
  for (const input of inputs) {
    const other: Side = input.side === 'L' ? 'R' : 'L';
    const [lo, hi] = input.side === 'L' ? [before, after] : [after, before];
    const time = Math.max(streamTime, input.ts);
    if (input.ts + hi + grace < time) continue;
    const partners = buffers[other]
      .filter((e) => e.key === input.key && e.ts >= input.ts - lo && e.ts <= input.ts + hi)
      .sort((x, y) => x.ts - y.ts || x.seq - y.seq);
    for (const p of partners) {
      const [l, r] = input.side === 'L' ? [input.id, p.id] : [p.id, input.id];
      out.push(`${input.key}:${l}+${r}@${Math.max(input.ts, p.ts)}`);
      p.matched = true;
    }
    buffers[input.side].push({ ...input, matched: partners.length > 0, seq: seq++ });
    streamTime = time;
    const emits = (side: Side) => kind === 'outer' || (kind === 'left' && side === 'L');
    const closed = (['L', 'R'] as Side[])
      .filter(emits)
      .flatMap((side) =>
        buffers[side].filter(
          (e) => !e.matched && e.ts + (side === 'L' ? after : before) + grace + 1 <= streamTime,
        ),
      )
      .sort((x, y) => x.ts - y.ts || (x.side === y.side ? x.seq - y.seq : x.side === 'L' ? -1 : 1));
    for (const e of closed) {
      e.matched = true;
      out.push(e.side === 'L' ? `${e.key}:${e.id}+-@${e.ts}` : `${e.key}:-+${e.id}@${e.ts}`);
    }
  }
  return out;
}

test('stream-stream joins match a brute-force join', (t) => {
  fc.assert(
    fc.property(
      fc.constantFrom<Kind>('inner', 'left', 'outer'),
      fc.integer({ min: 0, max: 8 }),
      fc.integer({ min: 0, max: 8 }),
      fc.integer({ min: 0, max: 10 }),
      fc.array(
        fc.record({
          side: fc.constantFrom<Side>('L', 'R'),
          key: fc.constantFrom(...keys),
          ts: fc.integer({ min: 0, max: 60 }),
        }),
        { maxLength: 40 },
      ),
      (kind, before, after, grace, raw) => {
        const inputs = raw.map((r, i) => ({ ...r, id: `${r.side}${i}` }));
        const builder = new StreamsBuilder({
          defaultKeySerde: s as never,
          defaultValueSerde: s as never,
        });
        const left = builder.stream<string, string>('left');
        const right = builder.stream<string, string>('right');
        const windows = JoinWindows.ofTimeDifference(0).before(before).after(after).grace(grace);
        const joiner = (l: string | null, r: string | null) => `${l ?? '-'}+${r ?? '-'}`;
        const joined =
          kind === 'inner'
            ? left.join(right, joiner, windows)
            : kind === 'left'
              ? left.leftJoin(right, joiner, windows)
              : left.outerJoin(right, joiner, windows);
        joined.to('out');
        const driver = new TopologyTestDriver(builder.build());
        const topics = {
          L: driver.createInputTopic('left', s, s),
          R: driver.createInputTopic('right', s, s),
        };
        for (const input of inputs) topics[input.side].pipeInput(input.key, input.id, input.ts);
        const actual = driver
          .createOutputTopic('out', s, s)
          .readRecordsToList()
          .map((r) => `${r.key}:${r.value}@${r.timestamp}`);
        driver.close();
        deepStrictEqual(actual, joinReference(kind, before, after, grace, inputs));
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});

test('sliding window counts match the brute-force set of windows over accepted records', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 10 }),
      fc.integer({ min: 0, max: 10 }),
      fc.array(record, { maxLength: 40 }),
      (d, grace, inputs) => {
        const builder = new StreamsBuilder();
        builder
          .stream<string, string>('in', { keySerde: s, valueSerde: s })
          .groupByKey()
          .windowedBy(SlidingWindows.ofTimeDifference(d).grace(grace))
          .count()
          .toStream()
          .to('out', { keySerde: ws, valueSerde: n });
        const driver = new TopologyTestDriver(builder.build());
        const input = driver.createInputTopic('in', s, s);
        for (const r of inputs) input.pipeInput(r.key, 'x', r.ts);
        const actual = new Map(
          [...driver.createOutputTopic('out', ws, n).readKeyValuesToMap()].map(([k, v]) => [
            label(k),
            v,
          ]),
        );
        driver.close();
        // Reference: accepted records (not late for their own window), then every window.
        let streamTime = -1;
        const accepted: { key: string; ts: number }[] = [];
        for (const r of inputs) {
          streamTime = Math.max(streamTime, r.ts);
          if (r.ts + grace >= streamTime) accepted.push(r);
        }
        const expected = new Map<string, number>();
        for (const key of keys) {
          const times = accepted.filter((r) => r.key === key).map((r) => r.ts);
          const windows = new Set<string>();
          for (const ts of times) {
            windows.add(`${ts - d}:${ts}`);
            if (times.some((o) => o > ts && o <= ts + 1 + d))
              windows.add(`${ts + 1}:${ts + 1 + d}`);
          }
          for (const w of windows) {
            const [start, end] = w.split(':').map(Number) as [number, number];
            expected.set(
              `${key}@${start}-${end}`,
              times.filter((ts) => ts >= start && ts <= end).length,
            );
          }
        }
        deepStrictEqual(
          Object.fromEntries([...actual].sort()),
          Object.fromEntries([...expected].sort()),
        );
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});

test('session window counts match a list-based session computation (Kafka retention rules)', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 10 }),
      fc.integer({ min: 0, max: 10 }),
      fc.array(record, { maxLength: 40 }),
      (gap, grace, inputs) => {
        const builder = new StreamsBuilder();
        builder
          .stream<string, string>('in', { keySerde: s, valueSerde: s })
          .groupByKey()
          .windowedBy(SessionWindows.withInactivityGap(gap).grace(grace))
          .count()
          .toStream()
          .to('out', { keySerde: ws, valueSerde: n });
        const driver = new TopologyTestDriver(builder.build());
        const input = driver.createInputTopic('in', s, s);
        for (const r of inputs) input.pipeInput(r.key, 'x', r.ts);
        const actual = new Map(
          [...driver.createOutputTopic('out', ws, n).readKeyValuesToMap()].map(([k, v]) => [
            label(k),
            v,
          ]),
        );
        driver.close();
        // Reference: sessions as plain lists. A session is kept until stream time reaches
        // end + gap + grace + 1; a record merges every kept session within gap of it, and is
        // late when the merged session ends before stream time − grace. Sessions that expire
        // stay in the output as they were; merged-away ones are deleted from it.
        type Session = { key: string; start: number; end: number; count: number };
        let streamTime = -1;
        let kept: Session[] = [];
        const expired: Session[] = [];
        for (const r of inputs) {
          streamTime = Math.max(streamTime, r.ts);
          expired.push(...kept.filter((x) => x.end + gap + grace + 1 <= streamTime));
          kept = kept.filter((x) => x.end + gap + grace + 1 > streamTime);
          const touching = kept.filter(
            (x) => x.key === r.key && x.end >= r.ts - gap && x.start <= r.ts + gap,
          );
          const merged = {
            key: r.key,
            start: Math.min(r.ts, ...touching.map((x) => x.start)),
            end: Math.max(r.ts, ...touching.map((x) => x.end)),
            count: 1 + touching.reduce((sum, x) => sum + x.count, 0),
          };
          if (merged.end < streamTime - grace) continue;
          kept = [...kept.filter((x) => !touching.includes(x)), merged];
        }
        const expected = new Map(
          [...expired, ...kept].map((x) => [`${x.key}@${x.start}-${x.end}`, x.count]),
        );
        deepStrictEqual(
          Object.fromEntries([...actual].sort()),
          Object.fromEntries([...expected].sort()),
        );
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});
