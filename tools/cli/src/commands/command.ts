/** What every command declares (for parsing and help) and what it gets to run. */
import type { Args } from '../args/args.ts';
import type { FlagSpec } from '../args/flag-spec.ts';
import type { ConnectionSettings } from '../connection.ts';
import type { ExitCodeValue } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import type { Output } from '../output.ts';

export interface CommandContext {
  readonly args: Args;
  readonly io: Io;
  readonly out: Output;
  readonly settings: ConnectionSettings;
}

export interface Command {
  readonly noun: string;
  readonly verb: string;
  /** One line, lower case, no full stop: shown in lists. */
  readonly summary: string;
  /** What follows `tributary <noun> <verb>` in the usage line, e.g. `<topic> [flags]`. */
  readonly usage: string;
  /** Paragraphs shown under the usage line in `--help`. */
  readonly details?: string;
  readonly flags: readonly FlagSpec[];
  readonly examples?: readonly string[];
  run(context: CommandContext): Promise<ExitCodeValue>;
}

export interface Noun {
  readonly name: string;
  readonly summary: string;
}
