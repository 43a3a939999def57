/**
 * A WalFileSystem for crash tests. It passes every operation through to the real file
 * system, and keeps a mirror of what is durable: a file's bytes as of its last
 * fdatasync, and each directory's entries as of its last fsync. `crash(random)` then
 * stops every further operation and rewrites the real directory tree into one state a
 * real crash could have left:
 *
 * - a directory holds its durable entries plus a prefix of the changes made since its
 *   last fsync (journaling file systems apply directory changes in order);
 * - a file holds its durable bytes; every 512-byte sector changed since the last
 *   fdatasync independently keeps its old bytes or takes the new ones (or zeros past the
 *   old end); its length is anything between the durable and the current one.
 *
 * Directories themselves are treated as durable once created.
 */
import * as fs from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { WalFile, WalFileSystem } from '../../src/durable/file-system.ts';
import { nodeWalFileSystem } from '../../src/durable/file-system.ts';

const sectorBytes = 512;

interface Inode {
  current: Buffer;
  durable: Buffer;
}

type DirectoryChange = { name: string; inode: Inode | undefined };

interface DirectoryState {
  durable: Map<string, Inode>;
  current: Map<string, Inode>;
  changes: DirectoryChange[];
}

export class CrashError extends Error {
  constructor() {
    super('the simulated machine has crashed');
    this.name = 'CrashError';
  }
}

export class CrashFileSystem implements WalFileSystem {
  private readonly directories = new Map<string, DirectoryState>();
  crashed = false;
  syncs = 0;
  /** Operations passed to the real file system and not finished yet. */
  private inFlight = 0;

  /** Adopts every file already under `root` as durable. */
  constructor(
    root: string,
    private readonly base: WalFileSystem = nodeWalFileSystem,
  ) {
    this.adoptExisting(root);
  }

  async makeDirectory(path: string): Promise<void> {
    this.check();
    await this.track(this.base.makeDirectory(path));
    this.directory(path);
  }

  async list(path: string): Promise<string[]> {
    this.check();
    return this.track(this.base.list(path));
  }

  async syncDirectory(path: string): Promise<void> {
    this.check();
    await this.track(this.base.syncDirectory(path));
    const state = this.directory(path);
    state.durable = new Map(state.current);
    state.changes = [];
  }

  async open(path: string, options: { create: boolean }): Promise<WalFile> {
    this.check();
    const real = await this.track(this.base.open(path, options));
    const state = this.directory(dirname(path));
    const name = relative(dirname(path), path);
    let inode = state.current.get(name);
    if (inode === undefined) {
      inode = { current: Buffer.alloc(0), durable: Buffer.alloc(0) };
      this.change(state, name, inode);
    }
    return this.wrap(real, inode);
  }

  readFileSync(path: string): Uint8Array | undefined {
    this.check();
    return this.base.readFileSync(path);
  }

  async rename(from: string, to: string): Promise<void> {
    this.check();
    await this.track(this.base.rename(from, to));
    const source = this.directory(dirname(from));
    const inode = source.current.get(relative(dirname(from), from));
    const target = this.directory(dirname(to));
    this.change(target, relative(dirname(to), to), inode);
    this.change(source, relative(dirname(from), from), undefined);
  }

  async remove(path: string): Promise<void> {
    this.check();
    await this.track(this.base.remove(path));
    const state = this.directory(dirname(path));
    const name = relative(dirname(path), path);
    if (state.current.has(name)) this.change(state, name, undefined);
  }

  /**
   * A power cut while other work runs: operations not started yet fail at once, the ones
   * the real file system is already doing are let finish (so none lands on the rewritten
   * files, as an unlink in flight would), then `crash`.
   */
  async cutPower(random: () => number): Promise<void> {
    this.crashed = true;
    while (this.inFlight > 0) await new Promise((resolve) => setImmediate(resolve));
    this.crash(random);
  }

  private async track<T>(operation: Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      return await operation;
    } finally {
      this.inFlight -= 1;
    }
  }

  /** Stops all operations and rewrites the real files into a state a crash could leave. */
  crash(random: () => number): void {
    this.crashed = true;
    for (const [path, state] of this.directories) {
      const survivors = new Map(state.durable);
      const applied = Math.floor(random() * (state.changes.length + 1));
      for (const change of state.changes.slice(0, applied)) {
        if (change.inode === undefined) survivors.delete(change.name);
        else survivors.set(change.name, change.inode);
      }
      for (const name of fs.readdirSync(path)) {
        const full = join(path, name);
        if (fs.statSync(full).isFile()) fs.rmSync(full);
      }
      for (const [name, inode] of survivors)
        fs.writeFileSync(join(path, name), tear(inode, random));
    }
  }

  private wrap(real: WalFile, inode: Inode): WalFile {
    const check = () => this.check();
    const track = <T>(operation: Promise<T>) => this.track(operation);
    const file: WalFile = {
      path: real.path,
      // A crash while it runs may leave any torn state of the write, as with the two calls.
      async writeDurable(data, position) {
        await file.write(data, position);
        await file.datasync();
      },
      async write(data, position) {
        check();
        await track(real.write(data, position));
        const end = position + data.byteLength;
        if (end > inode.current.byteLength) {
          const grown = Buffer.alloc(end);
          inode.current.copy(grown);
          inode.current = grown;
        }
        inode.current.set(data, position);
      },
      datasync: async () => {
        check();
        await track(real.datasync());
        this.syncs += 1;
        inode.durable = Buffer.from(inode.current);
      },
      async truncate(size) {
        check();
        await track(real.truncate(size));
        const resized = Buffer.alloc(size);
        inode.current.copy(resized, 0, 0, Math.min(size, inode.current.byteLength));
        inode.current = resized;
      },
      readSync(target, position) {
        check();
        return real.readSync(target, position);
      },
      size: () => {
        check();
        return real.size();
      },
      close: () => real.close(),
    };
    return file;
  }

  private change(state: DirectoryState, name: string, inode: Inode | undefined): void {
    if (inode === undefined) state.current.delete(name);
    else state.current.set(name, inode);
    state.changes.push({ name, inode });
  }

  private directory(path: string): DirectoryState {
    let state = this.directories.get(path);
    if (state === undefined) {
      state = { durable: new Map(), current: new Map(), changes: [] };
      this.directories.set(path, state);
    }
    return state;
  }

  private adoptExisting(path: string): void {
    if (!fs.existsSync(path)) return;
    const state = this.directory(path);
    for (const name of fs.readdirSync(path)) {
      const full = join(path, name);
      if (fs.statSync(full).isDirectory()) {
        this.adoptExisting(full);
      } else {
        const content = fs.readFileSync(full);
        const inode = { current: content, durable: Buffer.from(content) };
        state.durable.set(name, inode);
        state.current.set(name, inode);
      }
    }
  }

  private check(): void {
    if (this.crashed) throw new CrashError();
  }
}

/** The bytes a file may hold after a crash, given its durable and current contents. */
function tear(inode: Inode, random: () => number): Buffer {
  const { durable, current } = inode;
  if (durable.equals(current)) return Buffer.from(durable);
  const low = Math.min(durable.byteLength, current.byteLength);
  const high = Math.max(durable.byteLength, current.byteLength);
  const length = low + Math.floor(random() * (high - low + 1));
  const result = Buffer.alloc(length);
  for (let sector = 0; sector * sectorBytes < length; sector++) {
    const start = sector * sectorBytes;
    const end = Math.min(length, start + sectorBytes);
    const useNew = random() < 0.5;
    const source = useNew ? current : start < durable.byteLength ? durable : undefined;
    if (source !== undefined) source.copy(result, start, start, Math.min(end, source.byteLength));
  }
  return result;
}
