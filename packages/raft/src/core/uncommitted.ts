/**
 * Bytes a leader has accepted as proposals but not yet committed. Proposals beyond
 * `uncommittedBytesMax` are refused (retriable), so a leader that cannot commit (no
 * quorum) does not buffer without bound.
 */
export class UncommittedTracker {
  private lastIndexes: number[] = [];
  private sizes: number[] = [];
  private head = 0;
  bytes = 0;

  add(lastIndex: number, bytes: number): void {
    this.lastIndexes.push(lastIndex);
    this.sizes.push(bytes);
    this.bytes += bytes;
  }

  /** Forgets every proposal whose last entry is at or below `committed`. */
  releaseTo(committed: number): void {
    while (
      this.head < this.lastIndexes.length &&
      (this.lastIndexes[this.head] as number) <= committed
    ) {
      this.bytes -= this.sizes[this.head] as number;
      this.head++;
    }
    if (this.head === this.lastIndexes.length) this.reset();
    else if (this.head > 1024) {
      this.lastIndexes = this.lastIndexes.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }

  reset(): void {
    this.lastIndexes = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = 0;
  }
}
