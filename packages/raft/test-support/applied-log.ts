/**
 * The applied-entries file of a node process: one line per applied data entry, for every
 * group, in apply order, so a test can read back what each replica applied and compare.
 *
 *   line := group " " index " " term " " id "\n"        decimal, one entry per line
 *
 * Appends are batched like the WAL's group commit: every `append` staged while a flush is
 * writing waits for the next one; a flush is one write and one fdatasync, and `append`
 * resolves only after it (so a proposal acknowledged after its apply is in this file even
 * if the machine loses power). A process killed mid-write can leave a torn last line: it is
 * cut off when the file is opened again. Any other line that does not parse is damage and
 * refuses the open (APPLIED_LOG_CORRUPT).
 */
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { assert } from '../src/durable/assert.ts';
import { NodeProcessError } from './errors.ts';

export interface AppliedRecord {
  readonly index: number;
  readonly term: number;
  readonly id: number;
}

/** Each group's applied records, in the order they were applied. */
export type AppliedSequences = Map<number, AppliedRecord[]>;

interface Pending {
  text: string;
  readonly done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function pendingBatch(): Pending {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  done.catch(() => {});
  return { text: '', done, resolve, reject };
}

function parseLine(line: string, lineNumber: number, path: string): [number, AppliedRecord] {
  const fields = line.split(' ');
  const numbers = fields.map(Number);
  if (fields.length !== 4 || !numbers.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new NodeProcessError(
      'APPLIED_LOG_CORRUPT',
      `${path}:${lineNumber}: not "group index term id": ${JSON.stringify(line)}`,
    );
  }
  const [group, index, term, id] = numbers as [number, number, number, number];
  return [group, { index, term, id }];
}

/** Parses the file's text; returns the sequences and the byte length of whole lines. */
export function parseAppliedLog(
  text: string,
  path: string,
): { sequences: AppliedSequences; wholeBytes: number } {
  const sequences: AppliedSequences = new Map();
  const end = text.lastIndexOf('\n') + 1;
  const lines = text.slice(0, end).split('\n');
  lines.pop(); // the empty string after the last newline
  lines.forEach((line, i) => {
    const [group, record] = parseLine(line, i + 1, path);
    let sequence = sequences.get(group);
    if (sequence === undefined) {
      sequence = [];
      sequences.set(group, sequence);
    }
    sequence.push(record);
  });
  return { sequences, wholeBytes: Buffer.byteLength(text.slice(0, end)) };
}

/** Reads a node's applied-entries file (a torn last line is ignored); empty if missing. */
export async function readAppliedLog(path: string): Promise<AppliedSequences> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  return parseAppliedLog(text, path).sequences;
}

export class AppliedLog {
  private pending: Pending | undefined;
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly file: FileHandle,
    readonly recovered: AppliedSequences,
  ) {}

  /** Opens (creating) the file, cuts a torn last line, and returns what it held. */
  static async open(path: string): Promise<AppliedLog> {
    const file = await open(path, 'a+');
    const text = await file.readFile('utf8');
    const { sequences, wholeBytes } = parseAppliedLog(text, path);
    if (wholeBytes !== Buffer.byteLength(text)) {
      await file.truncate(wholeBytes);
      await file.datasync();
    }
    return new AppliedLog(file, sequences);
  }

  /** Appends one group's applied data entries; resolves once they are on disk. */
  append(group: number, records: readonly AppliedRecord[]): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    assert(records.length > 0, 'append something');
    this.pending ??= pendingBatch();
    const batch = this.pending;
    for (const r of records) batch.text += `${group} ${r.index} ${r.term} ${r.id}\n`;
    this.flushing ??= this.flush();
    return batch.done;
  }

  private async flush(): Promise<void> {
    while (this.pending !== undefined) {
      const batch = this.pending;
      this.pending = undefined;
      try {
        await this.file.write(batch.text);
        await this.file.datasync();
        batch.resolve();
      } catch (error) {
        this.failure = error as Error;
        batch.reject(error);
        // Appends staged during the failed write fail too (append refuses new ones).
        (this.pending as Pending | undefined)?.reject(error);
        this.pending = undefined;
      }
    }
    this.flushing = undefined;
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.file.close();
  }
}
