/**
 * The *groups* workload: producers write unique values to one topic; the other clients are
 * members of one consumer group that join, poll, commit what they were handed, read the
 * committed offsets, leave, and crash (stop without committing or leaving), then rejoin after
 * a while. After the faults heal, readers read the topic back and read the committed
 * offsets once more. Checked: every committed record was delivered to the group at least
 * once, committed offsets never go backwards, no partition has two owners in one
 * generation, and every log check on the topic.
 */
import { groupCheckers, logCheckers } from '../checkers/index.ts';
import type { TopicPartition } from '../history/operation.ts';
import type { Prng } from '../prng.ts';
import type { GeneratorContext, OperationRequest, Workload } from '../runner/workload.ts';
import { ValueSource } from './value-source.ts';

export interface GroupWorkloadOptions {
  readonly clientModule: string;
  readonly topic: string;
  readonly group: string;
  readonly partitions: number;
  /** Clients that only send (the first ones); the rest are group members. */
  readonly producers: number;
  readonly members: number;
  readonly readers: number;
  readonly values?: ValueSource;
  /** Per member operation: chance to leave, to crash, to commit, to read committed offsets. */
  readonly leaveShare?: number;
  readonly crashShare?: number;
  readonly commitShare?: number;
  readonly fetchOffsetShare?: number;
  /** How long a member that left or crashed stays out before it joins again. */
  readonly rejoinMsMin?: number;
  readonly rejoinMsMax?: number;
}

type MemberState =
  | { readonly kind: 'out'; readonly rejoinAtMs: number }
  | { readonly kind: 'joining' }
  | { readonly kind: 'in' };

export function groupWorkload(options: GroupWorkloadOptions): Workload {
  const partitions: TopicPartition[] = Array.from({ length: options.partitions }, (_, p) => ({
    topic: options.topic,
    partition: p,
  }));
  const values = options.values ?? new ValueSource();
  const members = new Map<number, MemberState>();
  const memberOperation = memberGenerator(options, members);
  return {
    name: 'groups',
    clientModule: options.clientModule,
    clientCount: options.producers + options.members,
    partitions,
    checkers: [...logCheckers, ...groupCheckers],
    setup: () => [
      { f: 'create-topic', value: { topic: options.topic, partitions: options.partitions } },
    ],
    nextOperation: (context: GeneratorContext): OperationRequest | undefined => {
      if (context.clientIndex < options.producers) {
        const partition = context.prng.intBetween(0, options.partitions - 1);
        return { f: 'send', value: { topic: options.topic, partition, value: values.next() } };
      }
      return memberOperation(context);
    },
    finalReads: () =>
      Array.from({ length: options.readers }, (_, reader) => [
        ...partitions.map(
          (tp): OperationRequest => ({ f: 'read-back', value: { ...tp, offsetFirst: 0 } }),
        ),
        ...(reader === 0
          ? partitions.map(
              (tp): OperationRequest => ({
                f: 'fetch-offset',
                value: { ...tp, group: options.group },
              }),
            )
          : []),
      ]),
  };
}

/** A member's next step, from what it is (out, joining, in) and how its last step ended. */
function memberGenerator(
  options: GroupWorkloadOptions,
  members: Map<number, MemberState>,
): (context: GeneratorContext) => OperationRequest | undefined {
  const group = options.group;
  return ({ clientIndex, previous, prng, elapsedMs }) => {
    const state = nextState(members.get(clientIndex), previous, elapsedMs, options, prng);
    members.set(clientIndex, state);
    if (state.kind === 'out') return undefined;
    if (state.kind === 'joining') return { f: 'join', value: { group, topic: options.topic } };
    const roll = prng.nextFloat();
    const leave = options.leaveShare ?? 0.01;
    const crash = leave + (options.crashShare ?? 0.01);
    const commit = crash + (options.commitShare ?? 0.2);
    const fetch = commit + (options.fetchOffsetShare ?? 0.05);
    if (roll < leave) return { f: 'leave', value: { group } };
    if (roll < crash) return { f: 'crash', value: { group } };
    const partition = prng.intBetween(0, options.partitions - 1);
    if (roll < commit) return { f: 'commit', value: { group, topic: options.topic, partition } };
    if (roll < fetch)
      return { f: 'fetch-offset', value: { group, topic: options.topic, partition } };
    return { f: 'poll', value: { group } };
  };
}

function nextState(
  state: MemberState | undefined,
  previous: GeneratorContext['previous'],
  elapsedMs: number,
  options: GroupWorkloadOptions,
  prng: Prng,
): MemberState {
  const out = (): MemberState => ({
    kind: 'out',
    rejoinAtMs:
      elapsedMs + prng.intBetween(options.rejoinMsMin ?? 1000, options.rejoinMsMax ?? 8000),
  });
  if (state === undefined) return { kind: 'joining' };
  if (previous?.f === 'join') return previous.type === 'ok' ? { kind: 'in' } : out();
  if (previous?.f === 'leave' || previous?.f === 'crash') return out();
  if (state.kind === 'out' && elapsedMs >= state.rejoinAtMs) return { kind: 'joining' };
  return state;
}
