/**
 * Checks the full shape of a value decoded from the network before it may reach the core:
 * every field's type, safe non-negative integers for indexes and terms, Uint8Array payloads,
 * consistent entry runs, and relations a correct sender can never violate (an entry's term
 * above the message's term, a previous index of 0 with a non-zero term, ...). Pure and
 * allocation-free on the happy path: the value itself is returned, typed, when it is valid.
 */
import { InvalidMessageError, type RejectReason } from './errors.ts';
import { EntryType, type Message, MessageType } from './types.ts';

type Fields = Record<string, unknown>;

class Invalid {
  constructor(
    readonly reason: RejectReason,
    readonly path: string,
    readonly detail: string,
  ) {}
}

function fail(path: string, detail: string, reason: RejectReason = 'malformed'): never {
  throw new Invalid(reason, path, detail);
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function uint(fields: Fields, key: string, path = key): number {
  const value = fields[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(path, `expected a non-negative safe integer, got ${describe(value)}`);
  }
  return value;
}

function positive(fields: Fields, key: string, path = key): number {
  const value = uint(fields, key, path);
  if (value === 0) fail(path, 'expected a positive integer, got 0');
  return value;
}

function bool(fields: Fields, key: string): boolean {
  const value = fields[key];
  if (typeof value !== 'boolean') fail(key, `expected a boolean, got ${describe(value)}`);
  return value;
}

function bytes(fields: Fields, key: string, path = key): Uint8Array {
  const value = fields[key];
  if (!(value instanceof Uint8Array)) fail(path, `expected a Uint8Array, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  return typeof value;
}

/** A (lastIndex, lastTerm)-style pair: index 0 has term 0, any other index a term >= 1. */
function positionPair(index: number, term: number, path: string, termMax: number): void {
  if ((index === 0) !== (term === 0))
    fail(path, `index ${index} with term ${term}`, 'impossible-index');
  if (term > termMax)
    fail(path, `term ${term} above the message term ${termMax}`, 'impossible-term');
}

function checkEntries(fields: Fields, prevIndex: number, prevTerm: number, termMax: number): void {
  const entries = fields.entries;
  if (!Array.isArray(entries)) fail('entries', `expected an array, got ${describe(entries)}`);
  let lastTerm = prevTerm;
  // The hot path of every append: one combined test per entry, paths built only on failure.
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Fields | null;
    if (
      typeof entry !== 'object' ||
      entry === null ||
      entry.index !== prevIndex + 1 + i ||
      typeof entry.term !== 'number' ||
      !Number.isSafeInteger(entry.term) ||
      entry.term < lastTerm ||
      entry.term > termMax ||
      (entry.type !== EntryType.Data &&
        entry.type !== EntryType.Noop &&
        entry.type !== EntryType.Config) ||
      !(entry.data instanceof Uint8Array)
    ) {
      explainEntry(entry, i, prevIndex, lastTerm, termMax);
    }
    lastTerm = entry.term as number;
  }
}

/** Says precisely what is wrong with entry `i` (the slow path of checkEntries). */
function explainEntry(
  entry: unknown,
  i: number,
  prevIndex: number,
  lastTerm: number,
  termMax: number,
): never {
  const path = `entries[${i}]`;
  if (!isObject(entry)) fail(path, `expected an object, got ${describe(entry)}`);
  const index = positive(entry, 'index', `${path}.index`);
  const term = positive(entry, 'term', `${path}.term`);
  const type = entry.type;
  if (type !== EntryType.Data && type !== EntryType.Config && type !== EntryType.Noop) {
    fail(`${path}.type`, `unknown entry type ${describe(type)}`);
  }
  bytes(entry, 'data', `${path}.data`);
  if (index !== prevIndex + 1 + i) {
    fail(`${path}.index`, `expected ${prevIndex + 1 + i}, got ${index}`, 'impossible-index');
  }
  if (term < lastTerm) fail(`${path}.term`, `term ${term} below the one before`, 'impossible-term');
  if (term > termMax)
    fail(`${path}.term`, `term ${term} above the message term`, 'impossible-term');
  fail(path, 'invalid entry');
}

function nodeList(config: Fields, key: string): number[] {
  const list = config[key];
  const path = `metadata.config.${key}`;
  if (!Array.isArray(list)) fail(path, `expected an array, got ${describe(list)}`);
  const seen = new Set<number>();
  for (let i = 0; i < list.length; i++) {
    const id: unknown = list[i];
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
      fail(`${path}[${i}]`, `expected a positive node id, got ${describe(id)}`);
    }
    if (seen.has(id)) fail(`${path}[${i}]`, `duplicate node ${id}`);
    seen.add(id);
  }
  return list as number[];
}

function checkSnapshotMetadata(fields: Fields, termMax: number): void {
  const metadata = fields.metadata;
  if (!isObject(metadata)) fail('metadata', `expected an object, got ${describe(metadata)}`);
  const index = positive(metadata, 'index', 'metadata.index');
  const term = positive(metadata, 'term', 'metadata.term');
  positionPair(index, term, 'metadata', termMax);
  const config = metadata.config;
  if (!isObject(config)) fail('metadata.config', `expected an object, got ${describe(config)}`);
  const voters = nodeList(config, 'voters');
  const outgoing = nodeList(config, 'outgoingVoters');
  const learners = nodeList(config, 'learners');
  if (voters.length === 0) fail('metadata.config.voters', 'no voters');
  for (const learner of learners) {
    if (voters.includes(learner) || outgoing.includes(learner)) {
      fail('metadata.config.learners', `node ${learner} is both voter and learner`);
    }
  }
}

function checkBody(m: Fields, type: number, term: number): void {
  switch (type) {
    case MessageType.PreVote:
    case MessageType.Vote: {
      if (term === 0) fail('term', 'a vote request needs a term', 'impossible-term');
      positionPair(uint(m, 'lastLogIndex'), uint(m, 'lastLogTerm'), 'lastLogIndex', term);
      bool(m, 'transfer');
      return;
    }
    case MessageType.PreVoteResponse:
    case MessageType.VoteResponse:
      bool(m, 'granted');
      positionPair(uint(m, 'commit'), uint(m, 'commitTerm'), 'commit', term);
      return;
    case MessageType.Append: {
      if (term === 0) fail('term', 'an append needs a term', 'impossible-term');
      const prevIndex = uint(m, 'prevLogIndex');
      const prevTerm = uint(m, 'prevLogTerm');
      positionPair(prevIndex, prevTerm, 'prevLogIndex', term);
      uint(m, 'commit');
      checkEntries(m, prevIndex, prevTerm, term);
      return;
    }
    case MessageType.AppendResponse:
      bool(m, 'success');
      uint(m, 'index');
      uint(m, 'hintIndex');
      uint(m, 'hintTerm');
      return;
    case MessageType.Heartbeat:
      if (term === 0) fail('term', 'a heartbeat needs a term', 'impossible-term');
      uint(m, 'commit');
      uint(m, 'context');
      return;
    case MessageType.HeartbeatResponse:
      uint(m, 'context');
      return;
    case MessageType.InstallSnapshot: {
      if (term === 0) fail('term', 'a snapshot needs a term', 'impossible-term');
      checkSnapshotMetadata(m, term);
      const offset = uint(m, 'offset');
      const data = bytes(m, 'data');
      if (!Number.isSafeInteger(offset + data.byteLength)) fail('offset', 'offset overflows');
      bool(m, 'done');
      return;
    }
    case MessageType.InstallSnapshotResponse:
      positive(m, 'snapshotIndex');
      uint(m, 'nextOffset');
      bool(m, 'done');
      return;
    case MessageType.TimeoutNow:
      if (term === 0) fail('term', 'a timeout-now needs a term', 'impossible-term');
      return;
    case MessageType.ReadIndex:
      uint(m, 'requestId');
      return;
    case MessageType.ReadIndexResponse:
      uint(m, 'requestId');
      uint(m, 'index');
      return;
    default:
      fail('type', `unknown message type ${describe(type)}`);
  }
}

/** The value as a Message if it is one, else an InvalidMessageError saying what is wrong. */
export function validateMessage(value: unknown): Message | InvalidMessageError {
  try {
    if (!isObject(value)) fail('', `expected an object, got ${describe(value)}`);
    const type = value.type;
    if (typeof type !== 'number') fail('type', `expected a number, got ${describe(type)}`);
    uint(value, 'group');
    positive(value, 'from');
    positive(value, 'to');
    const term = uint(value, 'term');
    checkBody(value, type, term);
    return value as unknown as Message;
  } catch (error) {
    if (error instanceof Invalid)
      return new InvalidMessageError(error.reason, error.path, error.detail);
    throw error;
  }
}
