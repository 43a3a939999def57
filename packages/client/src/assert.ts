/**
 * Invariant checks that stay on in production. A failed assertion is a programmer error in
 * this package, never an operating error: it is not retried and not mapped to a code.
 */
export class AssertionError extends Error {
  constructor(message: string) {
    super(`invariant violated: ${message}`);
    this.name = 'AssertionError';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertNever(value: never, message = 'unexpected value'): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}

export function assertSafeInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) assert(false, `${what} must be a safe integer, got ${value}`);
}
