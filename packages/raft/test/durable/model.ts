/**
 * The reference model of one group's durable state for the crash property tests: plain
 * arrays, compared with what the WAL recovers. Every staged change appends the group's
 * new state to its history; a crash may legitimately leave any state from the one last
 * acknowledged by an awaited sync onwards (or, with injected damage, an older one, but
 * then recovery must report the amnesia).
 */
import type { ConfigState, Entry, HardState } from '../../src/core/types.ts';
import type { GroupStorage } from '../../src/durable/group-storage.ts';

export interface ModelState {
  readonly base: { index: number; term: number };
  readonly entries: readonly Entry[];
  readonly hardState: HardState;
  readonly config: ConfigState;
  readonly snapshot: { index: number; term: number; data: string } | undefined;
}

export type Absent = 'absent';
export const absent: Absent = 'absent';

export const emptyState: ModelState = {
  base: { index: 0, term: 0 },
  entries: [],
  hardState: { term: 0, vote: 0, commit: 0 },
  config: { voters: [], outgoingVoters: [], learners: [] },
  snapshot: undefined,
};

export function lastIndex(state: ModelState): number {
  return state.base.index + state.entries.length;
}

export function termAt(state: ModelState, index: number): number | undefined {
  if (index === state.base.index) return state.base.term;
  return state.entries[index - state.base.index - 1]?.term;
}

export function maxTerm(state: ModelState): number {
  return Math.max(state.hardState.term, state.base.term, state.entries.at(-1)?.term ?? 0);
}

/** A comparable rendering of everything but the hard state. */
export function logKey(state: ModelState): string {
  return JSON.stringify({
    base: state.base,
    entries: state.entries.map((e) => [
      e.index,
      e.term,
      e.type,
      Buffer.from(e.data).toString('hex'),
    ]),
    config: state.config,
    snapshot: state.snapshot,
  });
}

export function fullKey(state: ModelState | Absent): string {
  return state === absent ? absent : `${logKey(state)}|${JSON.stringify(state.hardState)}`;
}

/** Reads everything the WAL holds for a group back into a model state. Throws on damage. */
export function readBack(storage: GroupStorage): ModelState {
  const first = storage.firstIndex();
  const last = storage.lastIndex();
  const entries = last >= first ? storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER) : [];
  const { hardState, config } = storage.initialState();
  const snapshot = storage.snapshot();
  const base = { index: first - 1, term: storage.term(first - 1) ?? -1 };
  for (const entry of entries) {
    if (storage.term(entry.index) !== entry.term)
      throw new Error(`term(${entry.index}) disagrees with entries()`);
  }
  return {
    base,
    entries: entries.map((e) => ({ ...e, data: Uint8Array.from(e.data) })),
    hardState,
    config,
    snapshot:
      snapshot === undefined
        ? undefined
        : {
            index: snapshot.metadata.index,
            term: snapshot.metadata.term,
            data: Buffer.from(snapshot.data).toString('hex'),
          },
  };
}

/** True if the state's log holds (index, term), or compacted past it into a snapshot. */
export function holds(state: ModelState, index: number, term: number): boolean {
  if (index < state.base.index) return true;
  return termAt(state, index) === term;
}
