/** An `Io` for running the CLI in-process: captured output, given stdin and environment. */
import { Readable, Writable } from 'node:stream';
import type { Io } from '../../src/index.ts';

export class Capture extends Writable {
  private readonly chunks: string[] = [];
  isTTY: boolean;

  constructor(isTTY = false) {
    super({
      write: (chunk: Buffer, _encoding, done) => {
        this.chunks.push(chunk.toString());
        done();
      },
    });
    this.isTTY = isTTY;
  }

  get text(): string {
    return this.chunks.join('');
  }
}

export interface FakeIo extends Io {
  readonly stdout: Capture;
  readonly stderr: Capture;
}

export function fakeIo(
  options: {
    stdin?: string;
    env?: Record<string, string>;
    tty?: boolean;
    interrupt?: AbortSignal;
  } = {},
): FakeIo {
  return {
    stdout: new Capture(options.tty ?? false),
    stderr: new Capture(options.tty ?? false),
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
    env: options.env ?? {},
    interrupt: options.interrupt ?? new AbortController().signal,
  };
}
