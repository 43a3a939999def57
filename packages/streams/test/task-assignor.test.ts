/**
 * The streams group assignor: whole tasks per member, kept with the member that owned them
 * (what an eager member reports it gave up before its JoinGroup), the later generation
 * winning when two members claim one task.
 */
import test from 'ava';
import { Serdes, StreamsBuilder } from '../src/index.ts';
import { taskAssignor } from '../src/runtime/task-assignor.ts';

function passThrough() {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>('in', { keySerde: Serdes.string(), valueSerde: Serdes.string() })
    .to('out', { keySerde: Serdes.string(), valueSerde: Serdes.string() });
  return taskAssignor(builder.build(), 'app');
}

const member = (memberId: string, owned: number[], generationId: number) => ({
  memberId,
  groupInstanceId: null,
  subscription: {
    topics: ['in'],
    ownedPartitions: owned.length > 0 ? [{ topic: 'in', partitions: owned }] : [],
    generationId,
  },
});

const partitionsOf = (
  result: Map<string, readonly { topic: string; partitions: readonly number[] }[]>,
  id: string,
) => (result.get(id) ?? []).flatMap((t) => t.partitions).sort((a, b) => a - b);

test('tasks stay with the members that report owning them', (t) => {
  const assignor = passThrough();
  const result = assignor.assign({
    members: [member('m-b', [0, 2], 4), member('m-a', [1, 3], 4)],
    partitionsPerTopic: new Map([['in', 4]]),
  });
  t.deepEqual(partitionsOf(result, 'm-a'), [1, 3]);
  t.deepEqual(partitionsOf(result, 'm-b'), [0, 2]);
});

test('a newcomer gets a fair share; the rest stay put', (t) => {
  const assignor = passThrough();
  const result = assignor.assign({
    members: [member('m-a', [0, 1, 2, 3, 4, 5], 7), member('m-b', [], -1)],
    partitionsPerTopic: new Map([['in', 6]]),
  });
  const kept = partitionsOf(result, 'm-a');
  t.is(kept.length, 3);
  t.true(kept.every((p) => [0, 1, 2, 3, 4, 5].includes(p)));
  t.is(partitionsOf(result, 'm-b').length, 3);
});

test('two claims on one task: the later generation wins, whatever the member order', (t) => {
  const assignor = passThrough();
  for (const members of [
    [member('m-a', [0, 1], 3), member('m-b', [1], 5)],
    [member('m-b', [1], 5), member('m-a', [0, 1], 3)],
  ]) {
    const result = assignor.assign({ members, partitionsPerTopic: new Map([['in', 3]]) });
    t.deepEqual(partitionsOf(result, 'm-b'), [1], 'the claim of generation 5 holds');
    t.deepEqual(partitionsOf(result, 'm-a'), [0, 2]);
  }
});
