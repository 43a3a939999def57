/**
 * A small schema language for validating decoded wire values. Every message from the
 * network arrives as `unknown` (msgpackr output) and must pass a schema before any code
 * touches it: types, ranges, lengths and shapes are checked, and the first violation is
 * reported with its path. Schemas also give the static type, so encode and decode share
 * one definition.
 */

export class SchemaViolation extends Error {
  constructor(
    readonly path: string,
    readonly expectation: string,
  ) {
    super(`${path || 'value'}: expected ${expectation}`);
    this.name = 'SchemaViolation';
  }
}

export interface Schema<T> {
  /** Returns the value typed as T, or throws SchemaViolation naming the first bad field. */
  check(value: unknown, path: string): T;
  readonly description: string;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function make<T>(description: string, check: (value: unknown, path: string) => T): Schema<T> {
  return { description, check };
}

function fail(path: string, expectation: string): never {
  throw new SchemaViolation(path, expectation);
}

export interface IntRange {
  readonly min?: number;
  readonly max?: number;
}

/** A safe integer in [min, max]. Wire integers beyond 2^53 are refused, never rounded. */
export function int(range: IntRange = {}): Schema<number> {
  const min = range.min ?? Number.MIN_SAFE_INTEGER;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const description = `an integer in [${min}, ${max}]`;
  return make(description, (value, path) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(path, description);
    if (value < min || value > max) fail(path, description);
    return value;
  });
}

export function boolean(): Schema<boolean> {
  return make('a boolean', (value, path) => {
    if (typeof value !== 'boolean') fail(path, 'a boolean');
    return value;
  });
}

export interface StringLimits {
  readonly minLength?: number;
  readonly maxLength: number;
  readonly pattern?: RegExp;
}

export function string(limits: StringLimits): Schema<string> {
  const minLength = limits.minLength ?? 0;
  const description = `a string of ${minLength}..${limits.maxLength} characters${
    limits.pattern ? ` matching ${limits.pattern}` : ''
  }`;
  return make(description, (value, path) => {
    if (typeof value !== 'string') fail(path, description);
    if (value.length < minLength || value.length > limits.maxLength) fail(path, description);
    if (limits.pattern && !limits.pattern.test(value)) fail(path, description);
    return value;
  });
}

/** Binary data. msgpackr decodes `bin` as a Buffer, which is a Uint8Array. */
export function bytes(limits: { readonly maxBytes: number }): Schema<Uint8Array> {
  const description = `bytes of at most ${limits.maxBytes}`;
  return make(description, (value, path) => {
    if (!(value instanceof Uint8Array)) fail(path, description);
    if (value.byteLength > limits.maxBytes) fail(path, description);
    return value;
  });
}

export function literal<const T extends string | number>(expected: T): Schema<T> {
  const description = JSON.stringify(expected);
  return make(description, (value, path) => {
    if (value !== expected) fail(path, description);
    return expected;
  });
}

export function oneOf<const T extends readonly (string | number)[]>(choices: T): Schema<T[number]> {
  const description = `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`;
  const allowed = new Set<unknown>(choices);
  return make(description, (value, path) => {
    if (!allowed.has(value)) fail(path, description);
    return value as T[number];
  });
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return make(`${inner.description} or null`, (value, path) =>
    value === null ? null : inner.check(value, path),
  );
}

export function array<T>(item: Schema<T>, limits: { readonly maxItems: number }): Schema<T[]> {
  const description = `an array of at most ${limits.maxItems} items`;
  return make(description, (value, path) => {
    if (!Array.isArray(value)) fail(path, description);
    if (value.length > limits.maxItems) fail(path, description);
    return value.map((element, index) => item.check(element, `${path}[${index}]`));
  });
}

/** A string-keyed map (as a plain object) with bounded entries. */
export function record<T>(
  key: Schema<string>,
  valueSchema: Schema<T>,
  limits: { readonly maxEntries: number },
): Schema<Record<string, T>> {
  const description = `a map of at most ${limits.maxEntries} entries`;
  return make(description, (value, path) => {
    if (!isPlainObject(value)) fail(path, description);
    const keys = Object.keys(value);
    if (keys.length > limits.maxEntries) fail(path, description);
    const result: Record<string, T> = Object.create(null);
    for (const k of keys) {
      key.check(k, `${path}.<key>`);
      result[k] = valueSchema.check(value[k], `${path}.${k}`);
    }
    return result;
  });
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never;
}[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
export type ObjectOf<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & {
  [K in OptionalKeys<S>]?: Infer<S[K]>;
};

export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly optional: true;
}

/** A field that may be absent (msgpackr omits nothing by itself; encoders may). */
export function optional<T>(inner: Schema<T>): OptionalSchema<T> {
  return {
    optional: true,
    description: `${inner.description} (optional)`,
    check: (value, path) => (value === undefined ? undefined : inner.check(value, path)),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * A map with exactly these fields. Unknown fields are ignored (a newer peer may add
 * optional ones) but never copied through, so nothing unchecked leaks past validation.
 */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  const entries = Object.entries(shape);
  const description = `an object with ${entries.map(([k]) => k).join(', ')}`;
  return make(description, (value, path) => {
    if (!isPlainObject(value)) fail(path, description);
    const result: Record<string, unknown> = {};
    for (const [key, fieldSchema] of entries) {
      const checked = fieldSchema.check(value[key], path ? `${path}.${key}` : key);
      if (checked !== undefined) result[key] = checked;
    }
    return result as ObjectOf<S>;
  });
}
