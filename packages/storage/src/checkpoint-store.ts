/**
 * Keeps the checkpoint file (see format/checkpoint-file.ts): created whole through a
 * temporary file and a rename, then updated in place one slot at a time, each update
 * fdatasync'ed before it counts.
 */
import { assertOffset } from './assert.ts';
import { CorruptLogError } from './errors.ts';
import {
  checkpointFileBytes,
  checkpointSlotPosition,
  decodeCheckpointFile,
  encodeCheckpointSlot,
} from './format/checkpoint-file.ts';
import { checkpointFileName, checkpointTemporaryFileName } from './format/segment-files.ts';
import { type FileHandle, type FileSystem, joinPath } from './fs/file-system.ts';
import { readWholeFile } from './segment/segment-seal.ts';

export class CheckpointStore {
  private readonly fs: FileSystem;
  private readonly directory: string;
  private handle: FileHandle | null;
  private sequence: number;
  /** The durable offset the file held when opened; null when there was no file. */
  readonly recovered: number | null;

  private constructor(
    fs: FileSystem,
    directory: string,
    state: { handle: FileHandle | null; sequence: number; recovered: number | null },
  ) {
    this.fs = fs;
    this.directory = directory;
    this.handle = state.handle;
    this.sequence = state.sequence;
    this.recovered = state.recovered;
  }

  static async open(fs: FileSystem, directory: string): Promise<CheckpointStore> {
    const path = joinPath(directory, checkpointFileName);
    const bytes = await readWholeFile(fs, path);
    if (bytes === null)
      return new CheckpointStore(fs, directory, { handle: null, sequence: 0, recovered: null });
    const checkpoint = bytes.length === checkpointFileBytes ? decodeCheckpointFile(bytes) : null;
    if (checkpoint === null) {
      throw new CorruptLogError('checkpoint file has no valid slot', { file: path, position: 0 });
    }
    const handle = await fs.open(path, 'readWrite');
    return new CheckpointStore(fs, directory, {
      handle,
      sequence: checkpoint.sequence,
      recovered: checkpoint.durableOffset,
    });
  }

  /** Records `durableOffset` durably. */
  async write(durableOffset: number): Promise<void> {
    assertOffset(durableOffset, 'durable offset');
    if (this.handle === null) {
      await this.create(durableOffset);
      return;
    }
    this.sequence += 1;
    const slot = encodeCheckpointSlot({ sequence: this.sequence, durableOffset });
    await this.handle.write([slot], checkpointSlotPosition(this.sequence));
    await this.handle.datasync();
  }

  private async create(durableOffset: number): Promise<void> {
    const temporary = joinPath(this.directory, checkpointTemporaryFileName);
    const path = joinPath(this.directory, checkpointFileName);
    const handle = await this.fs.open(temporary, 'createOrReplace');
    const first = encodeCheckpointSlot({ sequence: 0, durableOffset });
    const second = encodeCheckpointSlot({ sequence: 1, durableOffset });
    await handle.write([first, second], 0);
    await handle.datasync();
    await handle.close();
    await this.fs.rename(temporary, path);
    await this.fs.syncDirectory(this.directory);
    this.handle = await this.fs.open(path, 'readWrite');
    this.sequence = 1;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
  }
}
