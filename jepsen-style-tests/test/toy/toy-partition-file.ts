/**
 * Test scaffolding (toy log server): one partition's values, one JSON value per line. A torn
 * last line (no newline) is cut off on load; a line that does not parse is corruption.
 */
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  openSync,
  readFileSync,
  truncateSync,
  writeSync,
} from 'node:fs';

export class PartitionFile {
  readonly values: unknown[] = [];
  private readonly fd: number;
  /** How many of `values` are in the file (the rest is in memory only, in the buggy mode). */
  written = 0;

  constructor(private readonly path: string) {
    if (existsSync(path)) this.load();
    this.fd = openSync(path, 'a');
  }

  private load(): void {
    const text = readFileSync(this.path, 'utf8');
    const complete = text.lastIndexOf('\n') + 1;
    if (complete < Buffer.byteLength(text))
      truncateSync(this.path, Buffer.byteLength(text.slice(0, complete)));
    for (const line of text.slice(0, complete).split('\n')) {
      if (line === '') continue;
      this.values.push(JSON.parse(line)); // throws on corruption: the node refuses to start
    }
    this.written = this.values.length;
  }

  get length(): number {
    return this.values.length;
  }

  /** Appends in memory; `flush` makes it durable. */
  push(values: readonly unknown[]): void {
    this.values.push(...values);
  }

  /** Writes everything not yet written and fdatasyncs. */
  flush(): void {
    if (this.written === this.values.length) return;
    const lines = this.values.slice(this.written).map((v) => `${JSON.stringify(v)}\n`);
    const chunk = Buffer.from(lines.join(''));
    let offset = 0;
    while (offset < chunk.length) offset += writeSync(this.fd, chunk, offset);
    fdatasyncSync(this.fd);
    this.written = this.values.length;
  }

  close(): void {
    closeSync(this.fd);
  }
}
