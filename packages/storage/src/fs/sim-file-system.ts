/**
 * An in-memory FileSystem that can crash. It keeps, per file, what was made durable by
 * the last `datasync()` and, per directory, the names made durable by the last
 * `syncDirectory()`. `crash()` throws away what was not durable the way a power cut can:
 *
 * - file contents: unsynced appends are cut at a random byte (sometimes all kept, sometimes
 *   all dropped); a file rewritten below its synced length comes back either as it was at
 *   the last sync or as its new contents cut at a random byte past the common prefix;
 * - names: some prefix (in order) of the creates, renames and unlinks since the last
 *   directory sync survives.
 *
 * Handles opened before a crash fail afterwards. `armCrash(n)` makes the n-th next
 * mutating call crash instead of running, so a test can stop the log at any point of any
 * operation. All randomness comes from the `random` function handed in (seeded by tests).
 */
import type { FileHandle, FileSystem, OpenMode } from './file-system.ts';

export class SimFileSystemError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'SimFileSystemError';
    this.code = code;
  }
}

/** Raised by the operation a `armCrash` countdown stopped, and by stale handles. */
export class SimulatedCrashError extends SimFileSystemError {
  constructor(message = 'simulated crash') {
    super('ECRASH', message);
    this.name = 'SimulatedCrashError';
  }
}

class Inode {
  data = new Uint8Array(256);
  length = 0;
  /** Contents [0, durableLength) are durable, unless `snapshot` holds the durable bytes. */
  durableLength = 0;
  snapshot: Uint8Array | null = null;

  private protectDurableBytes(below: number): void {
    if (below < this.durableLength && this.snapshot === null) {
      this.snapshot = this.data.slice(0, this.durableLength);
    }
  }

  write(bytes: Uint8Array, position: number): void {
    this.protectDurableBytes(position);
    const end = position + bytes.length;
    if (end > this.data.length) {
      const grown = new Uint8Array(Math.max(end, this.data.length * 2));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    if (position > this.length) this.data.fill(0, this.length, position);
    this.data.set(bytes, position);
    this.length = Math.max(this.length, end);
  }

  truncate(size: number): void {
    this.protectDurableBytes(size);
    if (size > this.length) this.write(new Uint8Array(size - this.length), this.length);
    this.length = size;
  }

  sync(): void {
    this.durableLength = this.length;
    this.snapshot = null;
  }

  crash(random: () => number, cut?: (durableLength: number, length: number) => number): void {
    if (this.snapshot === null) {
      const kept =
        cut?.(this.durableLength, this.length) ?? cutPoint(random, this.durableLength, this.length);
      if (kept < this.durableLength || kept > this.length)
        throw new RangeError(`cut ${kept} outside the unsynced bytes`);
      this.length = kept;
    } else {
      this.crashOverwritten(this.snapshot, random);
    }
    this.sync();
  }

  /**
   * Bytes below the synced length were rewritten: new bytes landed up to some point (as if
   * written front to back) and the old ones remain after it; an unsynced shrink may or may
   * not have happened; unsynced growth is cut at a random byte.
   */
  private crashOverwritten(old: Uint8Array, random: () => number): void {
    const current = this.data.subarray(0, this.length);
    const overlap = Math.min(old.length, current.length);
    const common = commonPrefixLength(old, current);
    const landed = common + Math.floor(random() * (overlap - common + 1));
    const result = new Uint8Array(Math.max(old.length, current.length));
    result.set(current.subarray(0, Math.min(landed, overlap)));
    result.set(old.subarray(Math.min(landed, overlap), overlap), Math.min(landed, overlap));
    let length: number;
    if (current.length > old.length) {
      result.set(current.subarray(old.length), old.length);
      length = cutPoint(random, old.length, current.length);
    } else {
      result.set(old.subarray(overlap), overlap);
      length = random() < 0.5 ? current.length : old.length;
    }
    this.data = result.length > 0 ? result : new Uint8Array(256);
    this.length = length;
  }
}

/** Mostly the two interesting ends (all dropped, all kept); otherwise a uniform cut. */
function cutPoint(random: () => number, low: number, high: number): number {
  const draw = random();
  if (draw < 0.3) return low;
  if (draw < 0.5) return high;
  return low + Math.floor(random() * (high - low + 1));
}

function commonPrefixLength(a: Uint8Array, b: Uint8Array): number {
  const limit = Math.min(a.length, b.length);
  let at = 0;
  while (at < limit && a[at] === b[at]) at++;
  return at;
}

type NameOperation =
  | { readonly kind: 'link'; readonly name: string; readonly inode: Inode }
  | { readonly kind: 'unlink'; readonly name: string }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string };

class Directory {
  current = new Map<string, Inode>();
  durable = new Map<string, Inode>();
  pending: NameOperation[] = [];

  crash(random: () => number): void {
    const kept = Math.floor(random() * (this.pending.length + 1));
    const names = new Map(this.durable);
    for (const operation of this.pending.slice(0, kept)) applyNameOperation(names, operation);
    this.current = names;
    this.sync();
  }

  sync(): void {
    this.durable = new Map(this.current);
    this.pending = [];
  }
}

function applyNameOperation(names: Map<string, Inode>, operation: NameOperation): void {
  if (operation.kind === 'link') names.set(operation.name, operation.inode);
  else if (operation.kind === 'unlink') names.delete(operation.name);
  else {
    const inode = names.get(operation.from);
    if (inode !== undefined) {
      names.delete(operation.from);
      names.set(operation.to, inode);
    }
  }
}

function splitPath(path: string): { directory: string; name: string } {
  const at = path.lastIndexOf('/');
  if (at <= 0) throw new SimFileSystemError('EINVAL', `path ${path} needs a directory`);
  return { directory: path.slice(0, at), name: path.slice(at + 1) };
}

export interface CrashOptions {
  /** Bytes of file `name` that survive, in [synced length, current length]. */
  readonly cut?: (name: string, syncedLength: number, length: number) => number;
}

export interface SimFileSystemOptions {
  /** Uniform [0, 1): decides what a crash keeps. Seed it for reproducible runs. */
  readonly random: () => number;
}

export class SimFileSystem implements FileSystem {
  private readonly directories = new Map<string, Directory>();
  private readonly random: () => number;
  private generation = 0;
  private crashCountdown: number | null = null;
  /** Mutating calls made so far (a test can pick a crash point among them). */
  mutations = 0;

  constructor(options: SimFileSystemOptions) {
    this.random = options.random;
  }

  /** The `count`-th next mutating call (1 = the very next) crashes instead of running. */
  armCrash(count: number): void {
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`bad count ${count}`);
    this.crashCountdown = count;
  }

  disarmCrash(): void {
    this.crashCountdown = null;
  }

  get crashArmed(): boolean {
    return this.crashCountdown !== null;
  }

  /**
   * Loses what was not durable; handles opened before fail from now on. `options.cut`, if
   * given, picks how many bytes of each appended-to file survive (between its synced and
   * current lengths), by file name; otherwise the seeded randomness decides.
   */
  crash(options: CrashOptions = {}): void {
    this.crashCountdown = null;
    this.generation += 1;
    const names = new Map<Inode, string>();
    for (const directory of this.directories.values()) {
      for (const [name, inode] of directory.current) names.set(inode, name);
    }
    const inodes = new Set<Inode>();
    for (const directory of this.directories.values()) {
      for (const inode of directory.current.values()) inodes.add(inode);
      for (const inode of directory.durable.values()) inodes.add(inode);
      for (const operation of directory.pending) {
        if (operation.kind === 'link') inodes.add(operation.inode);
      }
    }
    for (const inode of inodes) {
      const name = names.get(inode);
      const cut = options.cut;
      inode.crash(
        this.random,
        cut === undefined || name === undefined ? undefined : (low, high) => cut(name, low, high),
      );
    }
    for (const directory of this.directories.values()) directory.crash(this.random);
  }

  /** Counts a mutating call; crashes instead when the armed countdown reaches it. */
  private mutate(): void {
    this.mutations += 1;
    if (this.crashCountdown === null) return;
    this.crashCountdown -= 1;
    if (this.crashCountdown > 0) return;
    this.crash();
    throw new SimulatedCrashError('simulated crash (armed)');
  }

  private directory(path: string): Directory {
    const directory = this.directories.get(path);
    if (directory === undefined) throw new SimFileSystemError('ENOENT', `no directory ${path}`);
    return directory;
  }

  private lookup(path: string): Inode {
    const { directory, name } = splitPath(path);
    const inode = this.directory(directory).current.get(name);
    if (inode === undefined) throw new SimFileSystemError('ENOENT', `no file ${path}`);
    return inode;
  }

  async makeDirectory(path: string): Promise<void> {
    if (!this.directories.has(path)) this.directories.set(path, new Directory());
  }

  async list(directory: string): Promise<string[]> {
    return [...this.directory(directory).current.keys()];
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    if (mode === 'read' || mode === 'readWrite') {
      return new SimFileHandle(this, this.lookup(path), this.generation, mode === 'readWrite');
    }
    this.mutate();
    const { directory, name } = splitPath(path);
    const entries = this.directory(directory);
    if (mode === 'createNew' && entries.current.has(name)) {
      throw new SimFileSystemError('EEXIST', `${path} exists`);
    }
    const inode = new Inode();
    entries.current.set(name, inode);
    entries.pending.push({ kind: 'link', name, inode });
    return new SimFileHandle(this, inode, this.generation, true);
  }

  async rename(from: string, to: string): Promise<void> {
    this.mutate();
    const source = splitPath(from);
    const target = splitPath(to);
    if (source.directory !== target.directory) {
      throw new SimFileSystemError('EXDEV', 'renames stay within a directory');
    }
    const entries = this.directory(source.directory);
    const inode = this.lookup(from);
    entries.current.delete(source.name);
    entries.current.set(target.name, inode);
    entries.pending.push({ kind: 'rename', from: source.name, to: target.name });
  }

  async unlink(path: string): Promise<void> {
    this.mutate();
    const { directory, name } = splitPath(path);
    this.lookup(path);
    const entries = this.directory(directory);
    entries.current.delete(name);
    entries.pending.push({ kind: 'unlink', name });
  }

  async syncDirectory(directory: string): Promise<void> {
    this.mutate();
    this.directory(directory).sync();
  }

  /** For handles: fails calls on handles from before a crash; counts mutations. */
  checkHandle(generation: number, mutating: boolean): void {
    if (generation !== this.generation) throw new SimulatedCrashError('handle from before a crash');
    if (mutating) this.mutate();
  }

  /** Test helpers: inspect and damage files as a disk might. */
  fileBytes(path: string): Uint8Array {
    const inode = this.lookup(path);
    return inode.data.slice(0, inode.length);
  }

  /** Flips bits of durable bytes, as a disk fault would (the damage survives crashes). */
  corrupt(path: string, position: number, xor: number): void {
    const inode = this.lookup(path);
    if (position >= inode.length) throw new RangeError(`${path} has no byte ${position}`);
    inode.data[position]! ^= xor;
    if (inode.snapshot !== null && position < inode.snapshot.length) {
      inode.snapshot[position]! ^= xor;
    }
  }
}

class SimFileHandle implements FileHandle {
  private readonly fs: SimFileSystem;
  private readonly inode: Inode;
  private readonly generation: number;
  private readonly writable: boolean;
  private closed = false;

  constructor(fs: SimFileSystem, inode: Inode, generation: number, writable: boolean) {
    this.fs = fs;
    this.inode = inode;
    this.generation = generation;
    this.writable = writable;
  }

  private check(mutating: boolean): void {
    if (this.closed) throw new SimFileSystemError('EBADF', 'handle is closed');
    if (mutating && !this.writable) throw new SimFileSystemError('EBADF', 'handle is read-only');
    this.fs.checkHandle(this.generation, mutating);
  }

  async size(): Promise<number> {
    this.check(false);
    return this.inode.length;
  }

  async read(target: Uint8Array, position: number): Promise<number> {
    this.check(false);
    const count = Math.max(0, Math.min(target.length, this.inode.length - position));
    target.set(this.inode.data.subarray(position, position + count));
    return count;
  }

  async write(buffers: readonly Uint8Array[], position: number): Promise<void> {
    this.check(true);
    let at = position;
    for (const buffer of buffers) {
      this.inode.write(buffer, at);
      at += buffer.length;
    }
  }

  async truncate(sizeBytes: number): Promise<void> {
    this.check(true);
    this.inode.truncate(sizeBytes);
  }

  async datasync(): Promise<void> {
    this.check(true);
    this.inode.sync();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
