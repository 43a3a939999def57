/**
 * FileSource: tails text files, one line one record (the line without its newline as the
 * value, no key, header `connect.file`). Each file is a source partition whose position
 * is the byte offset after the last line produced, so a restarted task goes on after it;
 * a line is produced only once its newline is written. A file that shrinks below the
 * position was truncated or replaced: reading starts again at its beginning (and the log
 * says so). Tasks split the files.
 *
 * Options: `file` (a path) or `files` (a list of paths).
 */
import { type FileHandle, open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isPlainObject } from '../../config/config-reader.ts';
import type { SourceConnectorPlugin, SourceTask, TaskContext } from '../../connector.ts';
import { ConnectError, ExternalSystemError } from '../../errors.ts';
import { limits } from '../../limits.ts';
import type { JsonValue, SourceRecord } from '../../records.ts';

export interface FileSourceOptions {
  readonly files: readonly string[];
}

export const fileSource: SourceConnectorPlugin<FileSourceOptions> = {
  kind: 'source',
  className: 'FileSource',
  description: 'tails text files: each line becomes one record',
  parseConfig(reader) {
    const file = reader.optionalString('file');
    const files = reader.optionalStringList('files');
    if ((file === undefined) === (files === undefined))
      reader.problem(`give exactly one of 'file' and 'files'`);
    const paths = (files ?? (file === undefined ? [] : [file])).map((path) => resolve(path));
    if (new Set(paths).size !== paths.length) reader.problem(`'files' lists a file twice`);
    return { files: paths };
  },
  taskConfigs(options, tasksMax) {
    const count = Math.max(1, Math.min(tasksMax, options.files.length));
    return Array.from({ length: count }, (_, task) => ({
      files: options.files.filter((_, index) => index % count === task),
    }));
  },
  createTask(options, context) {
    return new FileSourceTask(options, context);
  },
};

function offsetOf(position: JsonValue | undefined): number {
  if (position === undefined) return 0;
  const offset = isPlainObject(position) ? position.offset : undefined;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new ConnectError('OFFSETS_UNREADABLE', `bad file position ${JSON.stringify(position)}`);
  }
  return offset;
}

interface TailedFile {
  readonly path: string;
  readonly sourcePartition: string;
  offset: number;
}

class FileSourceTask implements SourceTask {
  readonly sourcePartitions: readonly string[];
  private files: TailedFile[] = [];
  private next = 0;

  constructor(
    private readonly options: FileSourceOptions,
    private readonly context: TaskContext,
  ) {
    this.sourcePartitions = options.files.map((path) => `file:${path}`);
  }

  async start(positions: ReadonlyMap<string, JsonValue>): Promise<void> {
    this.files = this.options.files.map((path) => {
      const sourcePartition = `file:${path}`;
      return { path, sourcePartition, offset: offsetOf(positions.get(sourcePartition)) };
    });
  }

  /** The next file with complete new lines, round robin. */
  async poll(): Promise<SourceRecord[]> {
    for (let tried = 0; tried < this.files.length; tried++) {
      const file = this.files[this.next]!;
      this.next = (this.next + 1) % this.files.length;
      const records = await this.pollFile(file);
      if (records.length > 0) return records;
    }
    return [];
  }

  private async pollFile(file: TailedFile): Promise<SourceRecord[]> {
    let handle: FileHandle;
    try {
      handle = await open(file.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []; // not written yet
      throw new ExternalSystemError(`cannot open ${file.path}`, { cause: error });
    }
    try {
      const { size } = await handle.stat();
      if (size < file.offset) {
        this.context.log.warn('file shrank below the position: reading from its start', {
          file: file.path,
          size,
          position: file.offset,
        });
        file.offset = 0;
      }
      if (size === file.offset) return [];
      return await this.readLines(handle, file, size);
    } finally {
      await handle.close();
    }
  }

  /** Complete lines from the position on, reading more only while a line is unfinished. */
  private async readLines(
    handle: FileHandle,
    file: TailedFile,
    size: number,
  ): Promise<SourceRecord[]> {
    let length = Math.min(limits.fileReadChunkBytes, size - file.offset);
    for (;;) {
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, file.offset);
      const chunk = buffer.subarray(0, bytesRead);
      const lastNewline = chunk.lastIndexOf(0x0a);
      if (lastNewline >= 0) return this.recordsOf(file, chunk.subarray(0, lastNewline + 1));
      if (file.offset + bytesRead >= size) return []; // an unfinished last line: wait for it
      if (length > limits.fileLineBytesMax) {
        throw new ConnectError(
          'RECORD_REJECTED',
          `${file.path}: the line at byte ${file.offset} is longer than ${limits.fileLineBytesMax} bytes`,
        );
      }
      length = Math.min(length * 2, limits.fileLineBytesMax + 1, size - file.offset);
    }
  }

  private recordsOf(file: TailedFile, lines: Buffer): SourceRecord[] {
    const records: SourceRecord[] = [];
    let start = 0;
    while (start < lines.length && records.length < limits.sourceBatchRecordsMax) {
      const end = lines.indexOf(0x0a, start);
      const lineEnd = end > start && lines[end - 1] === 0x0d ? end - 1 : end;
      records.push({
        sourcePartition: file.sourcePartition,
        position: { offset: file.offset + end + 1 },
        key: null,
        value: lines.toString('utf8', start, lineEnd),
        headers: { 'connect.file': file.path },
      });
      start = end + 1;
    }
    file.offset += start;
    return records;
  }

  async stop(): Promise<void> {}
}
