/**
 * Our own small flag parser (no dependency): GNU-style long flags (`--name value`,
 * `--name=value`), short flags (`-n 5`, `-n5`), repeatable flags, and `--` to end flags.
 * A flag that takes a value always takes the next token, even one starting with `-`, so
 * `--from -10` means "ten from the end". Anything wrong is a `UsageError`.
 */
import { UsageError } from '../errors.ts';
import type { FlagSpec } from './flag-spec.ts';

export type FlagValue = string | true | string[];

export interface ParsedFlags {
  readonly values: Map<string, FlagValue>;
  readonly positionals: string[];
  /** Tokens not read because parsing stopped at a positional (`stopAtPositional`). */
  readonly rest: string[];
}

interface ParseOptions {
  /** Where the flags belong, for messages: `topic create`. */
  readonly where: string;
  /** Stop at the first positional and return it and everything after in `rest`. */
  readonly stopAtPositional?: boolean;
}

function isFlagToken(token: string): boolean {
  return token.startsWith('-') && token !== '-';
}

function describeToken(token: string): string {
  return token.startsWith('--') ? token : `-${token.slice(1, 2)}`;
}

/** Splits `--name=value`, `--name`, `-xVALUE` and `-x` into a spec and an inline value. */
function lookUp(
  token: string,
  specs: readonly FlagSpec[],
  where: string,
): { spec: FlagSpec; inline: string | undefined } {
  if (token.startsWith('--')) {
    const equals = token.indexOf('=');
    const name = equals < 0 ? token.slice(2) : token.slice(2, equals);
    const spec = specs.find((s) => s.name === name);
    if (spec === undefined) throw unknownFlag(`--${name}`, where);
    return { spec, inline: equals < 0 ? undefined : token.slice(equals + 1) };
  }
  const short = token.slice(1, 2);
  const spec = specs.find((s) => s.short === short);
  if (spec === undefined) throw unknownFlag(`-${short}`, where);
  return { spec, inline: token.length > 2 ? token.slice(2) : undefined };
}

function unknownFlag(flag: string, where: string): UsageError {
  return new UsageError(`unknown flag ${flag} for '${where}'`, where);
}

function store(
  values: Map<string, FlagValue>,
  spec: FlagSpec,
  value: string | true,
  where: string,
) {
  const existing = values.get(spec.name);
  if (spec.kind === 'list') {
    values.set(spec.name, [...((existing as string[] | undefined) ?? []), value as string]);
    return;
  }
  if (existing !== undefined) throw new UsageError(`--${spec.name} given more than once`, where);
  values.set(spec.name, value);
}

export function parseFlags(
  tokens: readonly string[],
  specs: readonly FlagSpec[],
  options: ParseOptions,
): ParsedFlags {
  const values = new Map<string, FlagValue>();
  const positionals: string[] = [];
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as string;
    if (token === '--') {
      positionals.push(...tokens.slice(i + 1));
      break;
    }
    if (!isFlagToken(token)) {
      if (options.stopAtPositional) return { values, positionals, rest: tokens.slice(i) };
      positionals.push(token);
      continue;
    }
    const { spec, inline } = lookUp(token, specs, options.where);
    if (spec.kind === 'boolean') {
      if (inline !== undefined) {
        throw new UsageError(`${describeToken(token)} takes no value`, options.where);
      }
      store(values, spec, true, options.where);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= tokens.length) {
        throw new UsageError(`--${spec.name} needs a value`, options.where);
      }
      i += 1;
      value = tokens[i] as string;
    }
    store(values, spec, value, options.where);
  }
  return { values, positionals, rest: [] };
}
