/**
 * Deduplication of repartition records when one task reads several repartition topics fed
 * from the same input partition. The consumer interleaves those topics in any order, so the
 * greatest origin seen must be kept per repartition topic, not only per origin: otherwise
 * a record read after a later-origin record of the other topic is taken for a copy.
 */
import test from 'ava';
import type { OutputRecord } from '../src/engine/record.ts';
import { Task } from '../src/engine/task.ts';
import { JoinWindows, Serdes, StreamsBuilder } from '../src/index.ts';

const s = Serdes.string();

function selfJoinTopology() {
  const builder = new StreamsBuilder({
    defaultKeySerde: s as never,
    defaultValueSerde: s as never,
  });
  const events = builder.stream<string, string>('events');
  const byUser = events.selectKey((_k, v) => v.split(':')[0] as string);
  const byUserAgain = events.selectKey((_k, v) => v.split(':')[0] as string);
  byUser
    .join(byUserAgain, (a, b) => `${a}+${b}`, JoinWindows.ofTimeDifference(1_000).grace(1_000))
    .to('joined');
  return builder.build();
}

/** Runs the writer sub-topology over `inputs`; returns the repartition records it wrote. */
function repartitionRecords(topology: ReturnType<typeof selfJoinTopology>, inputs: string[]) {
  const writer = topology.subtopologies.find((sub) =>
    sub.sourceTopics.some((t) => t.name === 'events'),
  );
  if (!writer) throw new Error('no writer sub-topology');
  const written: OutputRecord[] = [];
  const task = new Task({
    applicationId: 'app',
    subtopology: writer,
    partition: 0,
    collector: { send: (r) => written.push(r) },
  });
  for (const [offset, value] of inputs.entries()) {
    task.process({
      topic: 'events',
      partition: 0,
      offset,
      key: null,
      value: s.serialize(value),
      timestamp: 1_000 + offset,
      headers: [],
    });
  }
  return written;
}

function joinOutputs(
  topology: ReturnType<typeof selfJoinTopology>,
  records: readonly OutputRecord[],
): string[] {
  const reader = topology.subtopologies.find((sub) => sub.sourceTopics.every((t) => t.internal));
  if (!reader) throw new Error('no reader sub-topology');
  const outputs: string[] = [];
  const task = new Task({
    applicationId: 'app',
    subtopology: reader,
    partition: 0,
    collector: { send: (r) => outputs.push(s.deserialize(r.value as Uint8Array)) },
  });
  const nextOffset = new Map<string, number>();
  for (const r of records) {
    const offset = nextOffset.get(r.topic) ?? 0;
    nextOffset.set(r.topic, offset + 1);
    task.process({ ...r, partition: 0, offset });
  }
  return outputs.sort();
}

test('a task reading two repartition topics from one input drops no record, whatever the interleaving', (t) => {
  const topology = selfJoinTopology();
  const written = repartitionRecords(topology, ['u1:a', 'u1:b', 'u2:c']);
  const topics = [...new Set(written.map((r) => r.topic))];
  t.is(topics.length, 2);
  const inOrder = joinOutputs(topology, written);
  // Each record joins itself and the other record of its user within the window.
  t.deepEqual(inOrder, ['u1:a+u1:a', 'u1:a+u1:b', 'u1:b+u1:a', 'u1:b+u1:b', 'u2:c+u2:c']);
  // The consumer may deliver all of one repartition topic before the other.
  const secondTopicFirst = [
    ...written.filter((r) => r.topic === topics[1]),
    ...written.filter((r) => r.topic === topics[0]),
  ];
  t.deepEqual(joinOutputs(topology, secondTopicFirst), inOrder);
});

test('copies of repartition records are still dropped per repartition topic', (t) => {
  const topology = selfJoinTopology();
  const written = repartitionRecords(topology, ['u1:a', 'u1:b']);
  // A writer that replays after a crash writes the same records (same origins) again.
  const withCopies = [...written, ...written];
  t.deepEqual(joinOutputs(topology, withCopies), joinOutputs(topology, written));
});
