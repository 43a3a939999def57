/**
 * Each mutation puts exactly one kind of anomaly into a correct history, or returns undefined
 * when the history offers no place for it. `choice` picks among the places.
 */
import type { CheckerName } from '../../src/checkers/check-result.ts';
import {
  type AssignOperation,
  type CommitOperation,
  type Operation,
  type PolledRecord,
  type PollOperation,
  partitionKey,
  type ReadBackOperation,
  type RecordValue,
  type SendOperation,
  valueKey,
} from '../../src/history/operation.ts';

export type Mutation = (history: readonly Operation[], choice: number) => Operation[] | undefined;

const isOkPoll = (op: Operation): op is PollOperation => op.f === 'poll' && op.type === 'ok';
const isReadBack = (op: Operation): op is ReadBackOperation =>
  op.f === 'read-back' && op.type === 'ok';
const isOkSend = (op: Operation): op is SendOperation => op.f === 'send' && op.type === 'ok';

function pick<T>(items: readonly T[], choice: number): T | undefined {
  return items.length === 0 ? undefined : items[choice % items.length];
}

function observedValues(history: readonly Operation[]): Map<string, RecordValue> {
  const values = new Map<string, RecordValue>();
  for (const op of history) {
    if (isOkPoll(op))
      for (const r of op.value.records ?? []) values.set(valueKey(r.value), r.value);
    if (isReadBack(op))
      for (const r of op.value.records ?? []) values.set(valueKey(r.value), r.value);
  }
  return values;
}

/** Replaces ops through `edit` (undefined keeps the op) and appends `extra` at the end. */
function rewrite(
  history: readonly Operation[],
  edit: (op: Operation) => Operation | undefined,
  extra: Operation[] = [],
): Operation[] {
  const out = history.map((op) => edit(op) ?? op);
  const lastMs = out.at(-1)?.timeMs ?? 0;
  extra.forEach((op, i) => {
    out.push({ ...op, index: out.length, timeMs: lastMs + 1 + i } as Operation);
  });
  return out;
}

function withoutValue(op: Operation, key: string): Operation | undefined {
  if (isOkPoll(op)) {
    const records = (op.value.records ?? []).filter((r) => valueKey(r.value) !== key);
    return { ...op, value: { ...op.value, records } };
  }
  if (isReadBack(op)) {
    const records = (op.value.records ?? []).filter((r) => valueKey(r.value) !== key);
    return { ...op, value: { ...op.value, records } };
  }
  return undefined;
}

function appendToReadBacks(
  history: readonly Operation[],
  partition: string,
  value: RecordValue,
): Operation[] {
  return rewrite(history, (op) => {
    if (!isReadBack(op) || partitionKey(op.value) !== partition) return undefined;
    const records = op.value.records ?? [];
    const offset = (records.at(-1)?.offset ?? (op.value.offsetFirst ?? 0) - 1) + 1;
    return { ...op, value: { ...op.value, records: [...records, { offset, value }] } };
  });
}

function readPartitions(history: readonly Operation[]): string[] {
  return [...new Set(history.filter(isReadBack).map((op) => partitionKey(op.value)))];
}

const lose: Mutation = (history, choice) => {
  const observed = observedValues(history);
  const acked = history
    .filter(isOkSend)
    .map((op) => valueKey(op.value.value))
    .filter((k) => observed.has(k));
  const key = pick(acked, choice);
  return key === undefined ? undefined : rewrite(history, (op) => withoutValue(op, key));
};

const duplicate: Mutation = (history, choice) => {
  const value = pick([...observedValues(history).values()], choice);
  const partition = pick(readPartitions(history), choice >> 4);
  if (value === undefined || partition === undefined) return undefined;
  return appendToReadBacks(history, partition, value);
};

const reorder: Mutation = (history, choice) => {
  const readers = history.filter((op) => isReadBack(op) && (op.value.records?.length ?? 0) >= 2);
  const target = pick(readers, choice) as ReadBackOperation | undefined;
  if (!target) return undefined;
  const records = [...(target.value.records ?? [])];
  const at = (choice >> 4) % (records.length - 1);
  const [a, b] = [records[at]!, records[at + 1]!];
  records[at] = { offset: a.offset, value: b.value };
  records[at + 1] = { offset: b.offset, value: a.value };
  return rewrite(history, (op) =>
    op === target ? { ...target, value: { ...target.value, records } } : undefined,
  );
};

const overwriteOffset: Mutation = (history, choice) => {
  const readers = history.filter((op) => isReadBack(op) && (op.value.records?.length ?? 0) >= 1);
  const target = pick(readers, choice) as ReadBackOperation | undefined;
  if (!target) return undefined;
  const records = [...(target.value.records ?? [])];
  const at = (choice >> 4) % records.length;
  records[at] = { offset: records[at]!.offset, value: 'overwritten' };
  return rewrite(history, (op) =>
    op === target ? { ...target, value: { ...target.value, records } } : undefined,
  );
};

const phantom: Mutation = (history, choice) => {
  const partition = pick(readPartitions(history), choice);
  return partition === undefined ? undefined : appendToReadBacks(history, partition, 'never-sent');
};

const sendBackwards: Mutation = (history, choice) => {
  const streams = new Map<string, SendOperation[]>();
  for (const op of history.filter(isOkSend)) {
    const key = `${op.process} ${partitionKey({ topic: op.value.topic, partition: op.value.partition ?? 0 })}`;
    streams.set(key, [...(streams.get(key) ?? []), op]);
  }
  const stream = pick(
    [...streams.values()].filter((s) => s.length >= 2),
    choice,
  );
  if (!stream) return undefined;
  const at = (choice >> 4) % (stream.length - 1);
  const [a, b] = [stream[at]!, stream[at + 1]!];
  return rewrite(history, (op) => {
    if (op === a) return { ...a, value: { ...a.value, offset: b.value.offset } };
    if (op === b) return { ...b, value: { ...b.value, offset: a.value.offset } };
    return undefined;
  });
};

const pollBackwards: Mutation = (history, choice) => {
  const target = pick(
    history.filter((op) => isOkPoll(op) && (op.value.records?.length ?? 0) >= 1),
    choice,
  ) as PollOperation | undefined;
  if (!target) return undefined;
  const records = target.value.records ?? [];
  const again = records[(choice >> 4) % records.length]!;
  return rewrite(history, (op) =>
    op === target
      ? { ...target, value: { ...target.value, records: [...records, again] } }
      : undefined,
  );
};

const skipInPolls: Mutation = (history, choice) => {
  const candidates: { poll: PollOperation; record: PolledRecord }[] = [];
  const lastTwo = new Map<string, { poll: PollOperation; record: PolledRecord }[]>();
  for (const op of history.filter(isOkPoll)) {
    for (const record of op.value.records ?? []) {
      const key = `${op.process} ${partitionKey(record)}`;
      const seen = [...(lastTwo.get(key) ?? []), { poll: op, record }].slice(-3);
      lastTwo.set(key, seen);
      const [a, b, c] = seen;
      if (
        c &&
        b!.record.offset === a!.record.offset + 1 &&
        c.record.offset === b!.record.offset + 1
      ) {
        candidates.push(b!);
      }
    }
  }
  const victim = pick(candidates, choice);
  if (!victim) return undefined;
  return rewrite(history, (op) => {
    if (op !== victim.poll) return undefined;
    const records = (victim.poll.value.records ?? []).filter((r) => r !== victim.record);
    return { ...victim.poll, value: { ...victim.poll.value, records } };
  });
};

const hidePartition: Mutation = (history, choice) => {
  const acked = history
    .filter(isOkSend)
    .map((op) => partitionKey({ topic: op.value.topic, partition: op.value.partition ?? 0 }));
  const partition = pick([...new Set(acked)], choice);
  if (partition === undefined) return undefined;
  const kept = history.filter((op) => !(isReadBack(op) && partitionKey(op.value) === partition));
  const readInvokes = new Set(
    kept.filter(
      (op) =>
        op.f === 'read-back' &&
        op.type === 'invoke' &&
        partitionKey(op.value as ReadBackOperation['value']) === partition,
    ),
  );
  const filtered = kept.filter((op) => !readInvokes.has(op));
  return rewrite(
    filtered.map((op, index) => ({ ...op, index })),
    (op) => {
      if (!isOkPoll(op)) return undefined;
      const records = (op.value.records ?? []).filter((r) => partitionKey(r) !== partition);
      return { ...op, value: { ...op.value, records } };
    },
  );
};

const readFailedSend: Mutation = (history, choice) => {
  const observed = observedValues(history);
  const target = pick(
    history.filter((op) => isOkSend(op) && observed.has(valueKey(op.value.value))),
    choice,
  ) as SendOperation | undefined;
  if (!target) return undefined;
  const { offset: _offset, ...value } = target.value;
  return rewrite(history, (op) => (op === target ? { ...target, type: 'fail', value } : undefined));
};

const forgetDelivery: Mutation = (history, choice) => {
  const committed = maxCommits(history);
  const places = [...committed.entries()].flatMap(([partition, commit]) =>
    Array.from({ length: commit.value.offset ?? 0 }, (_, offset) => ({
      partition,
      offset,
      group: commit.value.group,
    })),
  );
  const place = pick(places, choice);
  if (!place) return undefined;
  return rewrite(history, (op) => {
    if (!isOkPoll(op) || op.value.group !== place.group) return undefined;
    const records = (op.value.records ?? []).filter(
      (r) => !(partitionKey(r) === place.partition && r.offset === place.offset),
    );
    return { ...op, value: { ...op.value, records } };
  });
};

const commitBackwards: Mutation = (history, choice) => {
  const commit = pick([...maxCommits(history).values()], choice);
  if (!commit) return undefined;
  const value = { ...commit.value, offset: (commit.value.offset ?? 0) - 1 };
  const process = 1000;
  return rewrite(history, () => undefined, [
    { ...commit, process, type: 'invoke', value },
    { ...commit, process, type: 'ok', value },
  ]);
};

const shareOwnership: Mutation = (history, choice) => {
  const assigns = history.filter(
    (op): op is AssignOperation =>
      op.f === 'assign' && op.type === 'ok' && op.value.partitions.length > 0,
  );
  const assign = pick(assigns, choice);
  if (!assign) return undefined;
  const value = {
    ...assign.value,
    member: `${assign.value.member}-twin`,
    partitions: [assign.value.partitions[0]!],
  };
  const process = 1001;
  return rewrite(history, () => undefined, [
    { ...assign, process, type: 'invoke', value },
    { ...assign, process, type: 'ok', value },
  ]);
};

function maxCommits(history: readonly Operation[]): Map<string, CommitOperation> {
  const max = new Map<string, CommitOperation>();
  for (const op of history) {
    if (op.f !== 'commit' || op.type !== 'ok') continue;
    const key = partitionKey(op.value);
    if ((max.get(key)?.value.offset ?? -1) < (op.value.offset ?? -1)) max.set(key, op);
  }
  return max;
}

/** Log mutations, each with the checker that must catch it. */
export const logMutations: readonly { readonly anomaly: CheckerName; readonly mutate: Mutation }[] =
  [
    { anomaly: 'lost-write', mutate: lose },
    { anomaly: 'duplicate', mutate: duplicate },
    { anomaly: 'reader-divergence', mutate: reorder },
    { anomaly: 'inconsistent-offsets', mutate: overwriteOffset },
    { anomaly: 'phantom', mutate: phantom },
    { anomaly: 'nonmonotonic-send', mutate: sendBackwards },
    { anomaly: 'nonmonotonic-poll', mutate: pollBackwards },
    { anomaly: 'poll-skip', mutate: skipInPolls },
    { anomaly: 'unseen', mutate: hidePartition },
    { anomaly: 'aborted-read', mutate: readFailedSend },
  ];

export const groupMutations: readonly {
  readonly anomaly: CheckerName;
  readonly mutate: Mutation;
}[] = [
  { anomaly: 'committed-undelivered', mutate: forgetDelivery },
  { anomaly: 'nonmonotonic-commit', mutate: commitBackwards },
  { anomaly: 'double-ownership', mutate: shareOwnership },
];
