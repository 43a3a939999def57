/**
 * What a command may touch of its process: the three streams, the environment and an
 * interrupt signal. `main.ts` hands in the real ones; tests hand in their own, so a command
 * runs the same in both.
 */
import { once } from 'node:events';

export interface OutputStream {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
  readonly isTTY?: boolean;
  /** Terminal width, when a terminal. */
  readonly columns?: number;
}

export interface Io {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborts on Ctrl-C or SIGTERM: long-running commands stop cleanly. */
  readonly interrupt: AbortSignal;
}

/** Writes text, waiting for the stream to drain when its buffer is full (backpressure). */
export async function writeText(stream: OutputStream, text: string): Promise<void> {
  if (text.length === 0) return;
  if (!stream.write(text)) await once(stream as unknown as NodeJS.EventEmitter, 'drain');
}
