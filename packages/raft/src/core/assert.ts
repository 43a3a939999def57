/**
 * Assertions that stay on in production. A broken invariant in the Raft core means the
 * replica can no longer be trusted to serve or vote correctly, so it fails loudly and the
 * host fences the replica; it never limps on with wrong state.
 */

export class RaftInvariantError extends Error {
  override readonly name = 'RaftInvariantError';
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new RaftInvariantError(message);
}

export function unreachable(value: never, what: string): never {
  throw new RaftInvariantError(`unreachable: unexpected ${what} ${String(value)}`);
}

export function assertSafeIndex(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RaftInvariantError(`${what} must be a non-negative safe integer, got ${value}`);
  }
}
