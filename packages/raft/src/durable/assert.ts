/**
 * Programmer errors: assertions that stay on in production. A broken invariant in the
 * durable log or the transport stops the caller loudly instead of serving wrong data.
 */

export class AssertionError extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'AssertionError';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertNever(value: never, message: string): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}

/** Every index, term, group and node id that crosses the disk boundary is checked. */
export function assertSafeNonNegative(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0)
    assert(false, `${what} must be a safe integer >= 0`);
}
