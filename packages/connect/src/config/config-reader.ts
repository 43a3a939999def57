/**
 * Reads a flat JSON configuration object option by option, collecting every problem
 * (missing, wrong type, out of range, unknown option) so that one answer lists them all.
 * `finish()` throws a `ConfigError` if anything was wrong.
 */
import { ConfigError } from '../errors.ts';

export type RawConfig = Readonly<Record<string, unknown>>;

interface IntegerBounds {
  readonly min?: number;
  readonly max?: number;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class ConfigReader {
  private readonly problems: string[] = [];
  private readonly used = new Set<string>();

  constructor(
    readonly raw: RawConfig,
    private readonly what: string,
  ) {}

  /** Adds a problem found by a check outside this reader. */
  problem(message: string): void {
    this.problems.push(message);
  }

  get hasProblems(): boolean {
    return this.problems.length > 0;
  }

  private take(name: string): unknown {
    this.used.add(name);
    return this.raw[name];
  }

  requiredString(name: string): string {
    const value = this.take(name);
    if (typeof value === 'string' && value.length > 0) return value;
    this.problem(
      value === undefined
        ? `'${name}' is required`
        : `'${name}' must be a non-empty string, got ${describe(value)}`,
    );
    return '';
  }

  optionalString(name: string): string | undefined {
    const value = this.take(name);
    if (value === undefined) return undefined;
    if (typeof value === 'string' && value.length > 0) return value;
    this.problem(`'${name}' must be a non-empty string, got ${describe(value)}`);
    return undefined;
  }

  string(name: string, fallback: string): string {
    return this.optionalString(name) ?? fallback;
  }

  optionalInteger(name: string, bounds: IntegerBounds = {}): number | undefined {
    const value = this.take(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      this.problem(`'${name}' must be an integer, got ${describe(value)}`);
      return undefined;
    }
    if (bounds.min !== undefined && value < bounds.min) {
      this.problem(`'${name}' must be at least ${bounds.min}, got ${value}`);
      return undefined;
    }
    if (bounds.max !== undefined && value > bounds.max) {
      this.problem(`'${name}' must be at most ${bounds.max}, got ${value}`);
      return undefined;
    }
    return value;
  }

  integer(name: string, fallback: number, bounds: IntegerBounds = {}): number {
    return this.optionalInteger(name, bounds) ?? fallback;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.take(name);
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    this.problem(`'${name}' must be true or false, got ${describe(value)}`);
    return fallback;
  }

  oneOf<const T extends string>(name: string, values: readonly T[], fallback: T): T {
    const value = this.take(name);
    if (value === undefined) return fallback;
    if (typeof value === 'string' && (values as readonly string[]).includes(value))
      return value as T;
    this.problem(`'${name}' must be one of ${values.join(', ')}, got ${describe(value)}`);
    return fallback;
  }

  /** A list of non-empty strings (a single string counts as a list of one). */
  optionalStringList(name: string): string[] | undefined {
    const value = this.take(name);
    if (value === undefined) return undefined;
    const list = typeof value === 'string' ? [value] : value;
    if (
      Array.isArray(list) &&
      list.length > 0 &&
      list.every((item) => typeof item === 'string' && item.length > 0)
    ) {
      return list as string[];
    }
    this.problem(`'${name}' must be a non-empty list of strings, got ${describe(value)}`);
    return undefined;
  }

  /** Any JSON value; the caller checks its shape. */
  optionalValue(name: string): unknown {
    return this.take(name);
  }

  /** Marks options as read by someone else (so `finish` does not call them unknown). */
  accept(names: readonly string[]): void {
    for (const name of names) this.used.add(name);
  }

  /** Throws a ConfigError listing every problem, unknown options included. */
  finish(): void {
    for (const name of Object.keys(this.raw)) {
      if (!this.used.has(name)) this.problem(`unknown option '${name}'`);
    }
    if (this.problems.length > 0) throw new ConfigError(this.what, this.problems);
  }
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  if (text === undefined) return typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
