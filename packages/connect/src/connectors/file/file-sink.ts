/**
 * FileSink: appends each record's value to a file as one line and fsyncs before the
 * records count as written (at least once: after a crash the lines since the last offset
 * commit are appended again). Text values are written as they are, bytes as UTF-8, other
 * values as JSON; tombstones write nothing; a value holding a newline is rejected (it would
 * not be one line).
 *
 * Options: `file` (path, required).
 */
import { type FileHandle, open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SinkConnectorPlugin, SinkTask } from '../../connector.ts';
import { ExternalSystemError, RecordError } from '../../errors.ts';
import type { SinkRecord } from '../../records.ts';

export interface FileSinkOptions {
  readonly file: string;
}

export const fileSink: SinkConnectorPlugin<FileSinkOptions> = {
  kind: 'sink',
  className: 'FileSink',
  description: 'appends each record value to a file as one line',
  parseConfig(reader) {
    return { file: resolve(reader.requiredString('file')) };
  },
  taskConfigs(options) {
    return [options];
  },
  createTask(options) {
    return new FileSinkTask(options);
  },
};

export function lineOf(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
      : Buffer.isBuffer(value)
        ? value.toString('utf8')
        : JSON.stringify(value);
  if (text === undefined) throw new RecordError('RECORD_REJECTED', `a ${typeof value} is no line`);
  if (text.includes('\n')) throw new RecordError('RECORD_REJECTED', 'the value holds a newline');
  return text;
}

class FileSinkTask implements SinkTask {
  private handle: FileHandle | undefined;

  constructor(private readonly options: FileSinkOptions) {}

  async start(): Promise<void> {
    try {
      this.handle = await open(this.options.file, 'a');
    } catch (error) {
      throw new ExternalSystemError(`cannot open ${this.options.file}`, { cause: error });
    }
  }

  async put(records: readonly SinkRecord[]): Promise<void> {
    const lines = records.filter((r) => r.value !== null).map((r) => `${lineOf(r.value)}\n`);
    if (lines.length === 0) return;
    const handle = this.handle;
    if (handle === undefined) throw new ExternalSystemError('file sink not started');
    try {
      await handle.appendFile(lines.join(''));
      await handle.datasync();
    } catch (error) {
      throw new ExternalSystemError(`cannot write ${this.options.file}`, { cause: error });
    }
  }

  async stop(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
