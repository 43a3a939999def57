/**
 * Record values unique across a whole run: every workload that sends draws from the one
 * source, so a value names exactly one send (the checkers depend on it).
 */
export class ValueSource {
  private nextValue = 0;

  next(): number {
    return this.nextValue++;
  }
}
