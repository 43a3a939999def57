import { MemoryLog } from '../../src/core/memory-log.ts';
import type { RawNodeOptions } from '../../src/core/options.ts';
import { SeededPrng } from '../../src/core/prng.ts';
import { RawNode } from '../../src/core/raw-node.ts';
import {
  type CoreLogger,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  type NodeId,
  type Ready,
} from '../../src/core/types.ts';

export const group = 7;

export interface RecordingLogger extends CoreLogger {
  readonly warnings: { event: string; fields: Record<string, unknown> }[];
}

export function recordingLogger(): RecordingLogger {
  const warnings: { event: string; fields: Record<string, unknown> }[] = [];
  return { warnings, warn: (event, fields) => warnings.push({ event, fields }) };
}

/** Entries with the given terms at indexes 1, 2, ... */
export function entriesWithTerms(terms: readonly number[], from = 1): Entry[] {
  return terms.map((term, i) => ({
    index: from + i,
    term,
    type: EntryType.Data,
    data: new TextEncoder().encode(`e${from + i}t${term}`),
  }));
}

export interface NodeSetup {
  readonly id: NodeId;
  readonly voters: readonly NodeId[];
  readonly learners?: readonly NodeId[];
  readonly terms?: readonly number[];
  readonly hardState?: HardState;
  readonly options?: Partial<RawNodeOptions>;
  readonly seed?: number;
}

export function makeNode(setup: NodeSetup): {
  node: RawNode;
  log: MemoryLog;
  logger: RecordingLogger;
} {
  const log = new MemoryLog({
    config: {
      voters: [...setup.voters],
      outgoingVoters: [],
      learners: [...(setup.learners ?? [])],
    },
    hardState: setup.hardState,
  });
  log.append(entriesWithTerms(setup.terms ?? []));
  const logger = recordingLogger();
  const node = new RawNode({
    id: setup.id,
    group,
    log,
    prng: new SeededPrng(setup.seed ?? setup.id),
    logger,
    electionTicks: 10,
    heartbeatTicks: 1,
    preVote: false,
    checkQuorum: false,
    ...setup.options,
  });
  return { node, log, logger };
}

/** Runs one full Ready cycle against `log`; returns the Ready. */
export function cycle(node: RawNode, log: MemoryLog): Ready {
  const ready = node.ready();
  log.persist(ready);
  node.advance();
  return ready;
}

/** Drains every Ready; returns all messages sent (both kinds, in order). */
export function drain(node: RawNode, log: MemoryLog): Message[] {
  const sent: Message[] = [];
  while (node.hasReady()) {
    const ready = cycle(node, log);
    sent.push(...ready.messages, ...ready.messagesAfterPersist);
  }
  return sent;
}

export function voteRequest(
  from: NodeId,
  to: NodeId,
  term: number,
  lastLogIndex: number,
  lastLogTerm: number,
): Message {
  return {
    type: MessageType.Vote,
    group,
    from,
    to,
    term,
    lastLogIndex,
    lastLogTerm,
    transfer: false,
  };
}

export function append(
  from: NodeId,
  to: NodeId,
  term: number,
  prevLogIndex: number,
  prevLogTerm: number,
  entries: Entry[],
  commit: number,
): Message {
  return {
    type: MessageType.Append,
    group,
    from,
    to,
    term,
    prevLogIndex,
    prevLogTerm,
    entries,
    commit,
  };
}

export function ofType<T extends Message['type']>(
  messages: readonly Message[],
  type: T,
): (Message & { type: T })[] {
  return messages.filter((m): m is Message & { type: T } => m.type === type);
}
