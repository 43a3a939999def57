/** A command's parsed command line: typed access to its flags and positionals. */
import { UsageError } from '../errors.ts';
import type { FlagValue } from './parse-flags.ts';

export class Args {
  constructor(
    private readonly values: ReadonlyMap<string, FlagValue>,
    readonly positionals: readonly string[],
    /** The command these belong to (`topic create`), for messages. */
    readonly where: string,
  ) {}

  string(name: string): string | undefined {
    const value = this.values.get(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new Error(`flag --${name} is not a string flag`);
    return value;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  boolean(name: string): boolean {
    return this.values.get(name) === true;
  }

  list(name: string): readonly string[] {
    const value = this.values.get(name);
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw new Error(`flag --${name} is not a list flag`);
    return value;
  }

  /** A usage error for this command (its help is pointed to). */
  usage(message: string): UsageError {
    return new UsageError(message, this.where);
  }

  /** Fails unless the positionals number between `min` and `max`. */
  expectPositionals(min: number, max: number, names: string): void {
    const count = this.positionals.length;
    if (count < min) throw this.usage(`missing ${names}`);
    if (count > max) {
      throw this.usage(`unexpected argument '${this.positionals[max]}' (expected ${names})`);
    }
  }
}
