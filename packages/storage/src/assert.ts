/** Assertions that stay on in production: a broken invariant is a bug and stops the log. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'AssertionError';
  }
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertOffset(value: number, what: string): void {
  if (!(Number.isSafeInteger(value) && value >= 0))
    assert(false, `${what} ${value} is not a safe offset`);
}
