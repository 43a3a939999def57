/**
 * A store's local copy on disk, so a restarting instance reads only the changelog's tail.
 *
 * Two files per store in the task's directory:
 *
 *   <store>.snapshot   magic "TRSS", version 1, then frames: PUT*, CHECKPOINT
 *   <store>.log        frames: HEADER, (PUT | DELETE)*, CHECKPOINT, (PUT | DELETE)*, CHECKPOINT ...
 *
 *   frame      = bodyLength u32 | crc32(body) u32 | body
 *   PUT        = 1 | keyLength u32 | key | value
 *   DELETE     = 2 | key
 *   CHECKPOINT = 3 | generation u32 | changelogOffset u64   (the changelog's next offset)
 *   HEADER     = 4 | generation u32
 *
 * Entries only count once a CHECKPOINT follows them; a torn or corrupt frame ends the log
 * (what follows is cut off). Each commit appends its changes and a checkpoint with one write
 * and an fdatasync, after the commit's offsets are committed, so the file holds committed
 * state only. When the log grows well past the live entries it is rewritten: a snapshot of
 * generation g+1 is written and renamed into place, then a fresh log with header g+1. A log
 * whose generation differs from the snapshot's is stale and ignored. Anything unreadable
 * makes `load` return undefined: the caller then restores from the changelog's start, which
 * is always correct, only slower.
 */
import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { StateCorruptionError } from '../errors.ts';
import { storeEntryBytesMax, storeLogRewriteBytesMin, storeLogRewriteRatio } from '../limits.ts';

const magic = Buffer.from('TRSS', 'latin1');
const version = 1;
const frameHeaderBytes = 8;
enum FrameType {
  Put = 1,
  Delete = 2,
  Checkpoint = 3,
  Header = 4,
}

export interface FileChange {
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
}

export interface LoadedStore {
  /** Entries as of the last checkpoint, latin1 key string → value. */
  readonly entries: Map<string, Uint8Array>;
  /** The changelog offset to restore from. */
  readonly changelogOffset: number;
}

function frame(body: Buffer): Buffer {
  const header = Buffer.alloc(frameHeaderBytes);
  header.writeUInt32BE(body.length, 0);
  header.writeUInt32BE(crc32(body), 4);
  return Buffer.concat([header, body]);
}

function putBody(key: Uint8Array, value: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(FrameType.Put, 0);
  head.writeUInt32BE(key.length, 1);
  return Buffer.concat([head, key, value]);
}

function changeFrame(change: FileChange): Buffer {
  if (change.value !== null) return frame(putBody(change.key, change.value));
  return frame(Buffer.concat([Buffer.from([FrameType.Delete]), change.key]));
}

function checkpointFrame(generation: number, changelogOffset: number): Buffer {
  const body = Buffer.alloc(13);
  body.writeUInt8(FrameType.Checkpoint, 0);
  body.writeUInt32BE(generation, 1);
  body.writeBigUInt64BE(BigInt(changelogOffset), 5);
  return frame(body);
}

function headerFrame(generation: number): Buffer {
  const body = Buffer.alloc(5);
  body.writeUInt8(FrameType.Header, 0);
  body.writeUInt32BE(generation, 1);
  return frame(body);
}

type Frame =
  | { type: FrameType.Put; key: Buffer; value: Buffer }
  | { type: FrameType.Delete; key: Buffer }
  | { type: FrameType.Checkpoint; generation: number; changelogOffset: number }
  | { type: FrameType.Header; generation: number };

/** Reads frames until the end or the first torn or corrupt one; returns them and where they end. */
function readFrames(
  bytes: Buffer,
  from: number,
): { frames: { frame: Frame; end: number }[]; clean: boolean } {
  const frames: { frame: Frame; end: number }[] = [];
  let at = from;
  while (at < bytes.length) {
    if (at + frameHeaderBytes > bytes.length) return { frames, clean: false };
    const length = bytes.readUInt32BE(at);
    if (length < 1 || length > storeEntryBytesMax || at + frameHeaderBytes + length > bytes.length)
      return { frames, clean: false };
    const body = bytes.subarray(at + frameHeaderBytes, at + frameHeaderBytes + length);
    if (crc32(body) !== bytes.readUInt32BE(at + 4)) return { frames, clean: false };
    const parsed = parseBody(body);
    if (!parsed) return { frames, clean: false };
    at += frameHeaderBytes + length;
    frames.push({ frame: parsed, end: at });
  }
  return { frames, clean: true };
}

function parseBody(body: Buffer): Frame | undefined {
  const type = body.readUInt8(0);
  if (type === FrameType.Put && body.length >= 5) {
    const keyLength = body.readUInt32BE(1);
    if (5 + keyLength > body.length) return undefined;
    return { type, key: body.subarray(5, 5 + keyLength), value: body.subarray(5 + keyLength) };
  }
  if (type === FrameType.Delete) return { type, key: body.subarray(1) };
  if (type === FrameType.Checkpoint && body.length === 13) {
    const offset = Number(body.readBigUInt64BE(5));
    if (!Number.isSafeInteger(offset)) return undefined;
    return { type, generation: body.readUInt32BE(1), changelogOffset: offset };
  }
  if (type === FrameType.Header && body.length === 5)
    return { type, generation: body.readUInt32BE(1) };
  return undefined;
}

function readIfExists(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateCorruptionError(`cannot read ${path}`, error);
  }
}

function writeDurably(path: string, data: Buffer): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, data);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class StoreFile {
  private generation = 0;
  private logBytes = 0;
  private fd: number | undefined;

  constructor(
    private readonly dir: string,
    readonly storeName: string,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  private get snapshotPath(): string {
    return join(this.dir, `${this.storeName}.snapshot`);
  }

  private get logPath(): string {
    return join(this.dir, `${this.storeName}.log`);
  }

  /** The committed local state, or undefined when there is none or it cannot be trusted. */
  load(): LoadedStore | undefined {
    const snapshot = this.loadSnapshot();
    if (snapshot === null) return undefined;
    const entries = snapshot?.entries ?? new Map<string, Uint8Array>();
    let changelogOffset = snapshot?.changelogOffset ?? 0;
    this.generation = snapshot?.generation ?? 0;
    const log = readIfExists(this.logPath);
    if (log === undefined) return snapshot ? { entries, changelogOffset } : undefined;
    const { frames } = readFrames(log, 0);
    const first = frames[0]?.frame;
    if (first?.type !== FrameType.Header || first.generation !== this.generation) {
      return snapshot ? { entries, changelogOffset } : undefined;
    }
    let pending: Frame[] = [];
    let goodEnd = frames[0]?.end ?? 0;
    for (const { frame: f, end } of frames.slice(1)) {
      if (f.type !== FrameType.Checkpoint) {
        pending.push(f);
        continue;
      }
      for (const p of pending) applyFrame(entries, p);
      pending = [];
      changelogOffset = f.changelogOffset;
      goodEnd = end;
    }
    this.logBytes = goodEnd;
    this.truncateLog(goodEnd);
    return { entries, changelogOffset };
  }

  /** undefined: no snapshot; null: a snapshot that cannot be trusted. */
  private loadSnapshot():
    | { entries: Map<string, Uint8Array>; changelogOffset: number; generation: number }
    | undefined
    | null {
    const bytes = readIfExists(this.snapshotPath);
    if (bytes === undefined) return undefined;
    if (bytes.length < 5 || !bytes.subarray(0, 4).equals(magic) || bytes.readUInt8(4) !== version)
      return null;
    const { frames, clean } = readFrames(bytes, 5);
    const last = frames[frames.length - 1]?.frame;
    if (!clean || last?.type !== FrameType.Checkpoint) return null;
    const entries = new Map<string, Uint8Array>();
    for (const { frame: f } of frames.slice(0, -1)) applyFrame(entries, f);
    return { entries, changelogOffset: last.changelogOffset, generation: last.generation };
  }

  private truncateLog(length: number): void {
    const bytes = readIfExists(this.logPath);
    if (bytes && bytes.length > length) writeDurably(this.logPath, bytes.subarray(0, length));
  }

  private openLog(): number {
    if (this.fd !== undefined) return this.fd;
    if (this.logBytes === 0) {
      writeDurably(this.logPath, headerFrame(this.generation));
      syncDirectory(this.dir);
      this.logBytes = frameHeaderBytes + 5;
    }
    this.fd = openSync(this.logPath, 'a');
    return this.fd;
  }

  /** Appends one commit's changes and its checkpoint with a single write and fdatasync. */
  append(changes: readonly FileChange[], changelogOffset: number): void {
    const fd = this.openLog();
    const data = Buffer.concat([
      ...changes.map(changeFrame),
      checkpointFrame(this.generation, changelogOffset),
    ]);
    writeSync(fd, data);
    fdatasyncSync(fd);
    this.logBytes += data.length;
  }

  /** Whether the log has grown enough past `liveBytes` to be worth rewriting as a snapshot. */
  wantsRewrite(liveBytes: number): boolean {
    return (
      this.logBytes > storeLogRewriteBytesMin && this.logBytes > liveBytes * storeLogRewriteRatio
    );
  }

  /** Writes the live entries as a new snapshot generation and starts an empty log. */
  rewrite(entries: Iterable<readonly [Uint8Array, Uint8Array]>, changelogOffset: number): void {
    this.close();
    const next = this.generation + 1;
    const frames: Buffer[] = [magic, Buffer.from([version])];
    for (const [key, value] of entries) frames.push(frame(putBody(key, value)));
    frames.push(checkpointFrame(next, changelogOffset));
    writeDurably(this.snapshotPath, Buffer.concat(frames));
    writeDurably(this.logPath, headerFrame(next));
    syncDirectory(this.dir);
    this.generation = next;
    this.logBytes = frameHeaderBytes + 5;
  }

  /** Removes the local copy (after corruption, or when the task's state must be rebuilt). */
  wipe(): void {
    this.close();
    rmSync(this.snapshotPath, { force: true });
    rmSync(this.logPath, { force: true });
    this.generation = 0;
    this.logBytes = 0;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function applyFrame(entries: Map<string, Uint8Array>, f: Frame): void {
  if (f.type === FrameType.Put) entries.set(f.key.toString('latin1'), new Uint8Array(f.value));
  else if (f.type === FrameType.Delete) entries.delete(f.key.toString('latin1'));
}
