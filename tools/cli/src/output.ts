/**
 * Where a command's words go: results to stdout (awaiting backpressure), notes and
 * progress to stderr. Colour per stream, only on a terminal and without NO_COLOR; progress
 * only when stderr is a terminal (a redrawn line, cleared when done).
 */

import type { Args } from './args/args.ts';
import { formatFlag } from './args/flag-spec.ts';
import { toJsonLine } from './format/json.ts';
import { type Io, writeText } from './io.ts';
import { progressIntervalMs } from './limits.ts';
import { colourWanted, createStyle, type Style } from './style.ts';

export type ReadFormat = 'json' | 'text';

export class Output {
  readonly style: Style;
  readonly errorStyle: Style;
  private progressShownAtMs = 0;
  private progressVisible = false;

  constructor(private readonly io: Io) {
    this.style = createStyle(colourWanted(io.stdout, io.env));
    this.errorStyle = createStyle(colourWanted(io.stderr, io.env));
  }

  /** Results; a progress line on the same terminal is cleared first so they never mix. */
  print(text: string): Promise<void> {
    this.clearProgress();
    return writeText(this.io.stdout, text);
  }

  json(value: unknown): Promise<void> {
    return this.print(toJsonLine(value));
  }

  /** A line on stderr for the person at the terminal (not part of the result). */
  note(text: string): void {
    this.clearProgress();
    this.io.stderr.write(`${text}\n`);
  }

  get showsProgress(): boolean {
    return this.io.stderr.isTTY === true;
  }

  /** Redraws the progress line, at most every `progressIntervalMs` unless `force`. */
  progress(text: string, force = false): void {
    if (!this.showsProgress) return;
    const nowMs = Date.now();
    if (!force && nowMs - this.progressShownAtMs < progressIntervalMs) return;
    this.progressShownAtMs = nowMs;
    this.progressVisible = true;
    this.io.stderr.write(`\r\u001b[K${this.errorStyle.dim(text)}`);
  }

  clearProgress(): void {
    if (!this.progressVisible) return;
    this.progressVisible = false;
    this.io.stderr.write('\r\u001b[K');
  }
}

/** The `--format` of a read command. */
export function readFormat(args: Args): ReadFormat {
  const value = args.string(formatFlag.name) ?? 'text';
  if (value !== 'json' && value !== 'text') {
    throw args.usage(`--format must be json or text, got '${value}'`);
  }
  return value;
}
