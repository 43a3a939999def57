/**
 * Changelog records and restoring from them.
 *
 * At each commit a task writes, for every store, one record per key changed since the last
 * commit: the key's bytes, its new value (null deletes), and two headers:
 *
 *   tributary.position  the task's input position at this commit: `<topic>=<next offset>`
 *                       per input topic, comma-separated (partition = the task's)
 *   tributary.prev      the key's value at the previous commit, or instead
 *   tributary.prev-none (empty) when the key had no value then
 *
 * The commit then writes the same position as the group's committed offsets, but only once
 * every output and changelog record is acknowledged. So a changelog record whose position
 * is not covered by the committed offsets belongs to a commit that did not finish (a crash,
 * or a zombie that lost the task). Restoring takes, per key, the last record; if that record
 * is not covered by the committed offsets, its `prev` is used instead. Since a task never
 * starts a commit before the previous one finished, `prev` is always committed state. The
 * store then holds exactly the state as of the committed offsets, from which processing
 * resumes, and replays the same way. The next commit rewrites every undone key, so the
 * unfinished record is superseded before offsets can move past its position. Compaction
 * keeps the last record per key, which is all this needs.
 */

import type { RecordHeader, RecordHeaders } from '../engine/record.ts';
import { bytesToKeyString } from '../serdes.ts';
import type { StateStore, StoreChange } from './state-store.ts';

export const positionHeaderKey = 'tributary.position';
export const prevHeaderKey = 'tributary.prev';
export const prevNoneHeaderKey = 'tributary.prev-none';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type Position = ReadonlyMap<string, number>;

export function encodePosition(position: Position): Uint8Array {
  const parts = [...position.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([t, o]) => `${t}=${o}`);
  return encoder.encode(parts.join(','));
}

/** The position a header holds, or undefined when it is malformed. */
export function decodePosition(bytes: Uint8Array): Map<string, number> | undefined {
  const text = decoder.decode(bytes);
  const position = new Map<string, number>();
  if (text === '') return position;
  for (const part of text.split(',')) {
    const at = part.lastIndexOf('=');
    const offset = Number(part.slice(at + 1));
    if (at <= 0 || !Number.isSafeInteger(offset) || offset < 0) return undefined;
    position.set(part.slice(0, at), offset);
  }
  return position;
}

/** Whether committed offsets cover a position (every topic committed at or past it). */
export function covers(committed: Position, position: Position): boolean {
  for (const [topic, offset] of position) {
    const done = committed.get(topic);
    if (done === undefined || done < offset) return false;
  }
  return true;
}

export interface ChangelogRecord {
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
  readonly headers: RecordHeaders;
}

export function changelogRecords(
  changes: readonly StoreChange[],
  position: Position,
): ChangelogRecord[] {
  const positionHeader: RecordHeader = { key: positionHeaderKey, value: encodePosition(position) };
  return changes.map((change) => ({
    key: change.key,
    value: change.value,
    headers: [
      positionHeader,
      change.prev === null
        ? { key: prevNoneHeaderKey, value: new Uint8Array(0) }
        : { key: prevHeaderKey, value: change.prev },
    ],
  }));
}

interface Latest {
  readonly value: Uint8Array | null;
  readonly prev: Uint8Array | null | undefined;
  readonly position: Map<string, number> | undefined;
}

/** Collects a changelog partition's records, then loads the committed state into a store. */
export class ChangelogRestorer {
  private readonly latest = new Map<string, Latest>();
  private readonly keys = new Map<string, Uint8Array>();
  recordsRead = 0;

  add(record: ChangelogRecord): void {
    this.recordsRead += 1;
    const keyString = bytesToKeyString(record.key);
    const positionBytes = record.headers.find((h) => h.key === positionHeaderKey)?.value;
    const prev = record.headers.find((h) => h.key === prevHeaderKey);
    const prevNone = record.headers.some((h) => h.key === prevNoneHeaderKey);
    this.keys.set(keyString, record.key);
    this.latest.set(keyString, {
      value: record.value,
      prev: prev !== undefined ? (prev.value ?? new Uint8Array(0)) : prevNone ? null : undefined,
      position: positionBytes ? decodePosition(positionBytes) : undefined,
    });
  }

  /** Loads each key's committed value into `store`; returns how many were undone. */
  applyTo(store: StateStore, committed: Position): { keys: number; undone: number } {
    let undone = 0;
    for (const [keyString, latest] of this.latest) {
      const key = this.keys.get(keyString) as Uint8Array;
      const uncommitted =
        latest.position !== undefined &&
        latest.prev !== undefined &&
        !covers(committed, latest.position);
      store.loadEntry(key, uncommitted ? (latest.prev ?? null) : latest.value);
      if (uncommitted) {
        undone += 1;
        // Overwrite the unfinished commit's record at the next commit, so it can never pass
        // for committed later (once offsets move past its position).
        store.touch(key);
      }
    }
    return { keys: this.latest.size, undone };
  }
}
