/**
 * A simulation run is a pure function of its schedule: the seed of its random streams
 * (delays, losses, client traffic, election timeouts) and a list of fault events at given
 * ticks. fast-check generates schedules, so a failing one shrinks (fewer events, fewer
 * nodes, smaller numbers) before it is reported, and the shrunk schedule is plain JSON
 * that can be stored as a regression case.
 *
 * An event names its targets by `pick` numbers, resolved modulo the candidates at the
 * time (a live node to crash, a learner to promote, ...), so every event stays meaningful
 * however the run unfolds and however the schedule shrinks.
 */
import fc from 'fast-check';

export const eventKinds = [
  'crash',
  'crash-leader',
  'torn-crash',
  'restart',
  'amnesia',
  'partition',
  'one-way',
  'bridge',
  'isolate-leader',
  'heal',
  'add-learner',
  'promote',
  'remove',
  'joint',
  'transfer',
  'compact',
  'read',
  'pause',
] as const;
export type EventKind = (typeof eventKinds)[number];

export interface SimEvent {
  readonly at: number;
  readonly kind: EventKind;
  readonly pick: number;
  readonly pick2: number;
}

export interface SimSchedule {
  readonly seed: number;
  /** Ticks of the fault phase; a healed liveness phase follows. */
  readonly steps: number;
  readonly nodeCount: number;
  /** Nodes that start outside the group (candidates for add-learner). */
  readonly spares: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly dropPercent: number;
  readonly duplicatePercent: number;
  readonly delayTicksMax: number;
  /** Chance that a message is held for up to three election timeouts (absent: 0). */
  readonly lateMessagePercent?: number;
  /** A Ready's fsync completes 0..persistDelayMax ticks after it is taken. */
  readonly persistDelayMax: number;
  /** Readies a node persists at once, pipelined as the production host does (absent: 1). */
  readonly pipelineDepth?: number;
  /** Chance per tick that a client proposes a batch. */
  readonly proposalPercent: number;
  /** Nodes compact once this many entries are applied past their snapshot (0: never). */
  readonly compactEvery: number;
  readonly events: readonly SimEvent[];
}

/** How often each kind of event is drawn, relative to the others. */
const eventWeights: Record<EventKind, number> = {
  crash: 3,
  'crash-leader': 3,
  'torn-crash': 2,
  restart: 7,
  amnesia: 1,
  partition: 2,
  'one-way': 2,
  bridge: 1,
  'isolate-leader': 2,
  heal: 4,
  'add-learner': 2,
  promote: 2,
  remove: 2,
  joint: 1,
  transfer: 2,
  compact: 1,
  read: 3,
  pause: 2,
};

export function scheduleArbitrary(steps: number): fc.Arbitrary<SimSchedule> {
  const kind = fc.oneof(
    ...eventKinds.map((k) => ({ weight: eventWeights[k], arbitrary: fc.constant(k) })),
  );
  const event = fc.record({
    at: fc.integer({ min: 0, max: Math.max(0, steps - 1) }),
    kind,
    pick: fc.nat({ max: 1000 }),
    pick2: fc.nat({ max: 1000 }),
  });
  return fc.record({
    seed: fc.nat(),
    steps: fc.constant(steps),
    nodeCount: fc.integer({ min: 3, max: 7 }),
    spares: fc.integer({ min: 0, max: 2 }),
    preVote: fc.boolean(),
    checkQuorum: fc.boolean(),
    dropPercent: fc.integer({ min: 0, max: 15 }),
    duplicatePercent: fc.integer({ min: 0, max: 10 }),
    delayTicksMax: fc.integer({ min: 1, max: 4 }),
    lateMessagePercent: fc.integer({ min: 0, max: 3 }),
    persistDelayMax: fc.integer({ min: 0, max: 2 }),
    pipelineDepth: fc.integer({ min: 1, max: 4 }),
    proposalPercent: fc.integer({ min: 5, max: 60 }),
    compactEvery: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 40 })),
    // size "max": lengths spread up to the maximum (the default keeps arrays short).
    events: fc.array(event, { maxLength: Math.max(4, Math.floor(steps / 5)), size: 'max' }),
  });
}
