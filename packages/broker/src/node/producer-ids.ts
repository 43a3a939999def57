/**
 * Hands out producer ids from blocks the controller allocates to this broker, so ids are
 * unique across the cluster without a round trip per producer.
 */
export const producerIdBlockSize = 1000;

export class ProducerIdAllocator {
  private next = 0;
  private end = 0;
  private refill: Promise<void> | undefined;

  constructor(private readonly allocateBlock: (count: number) => Promise<number>) {}

  async nextId(): Promise<number> {
    while (this.next >= this.end) {
      this.refill ??= this.allocateBlock(producerIdBlockSize)
        .then((first) => {
          this.next = first;
          this.end = first + producerIdBlockSize;
        })
        .finally(() => {
          this.refill = undefined;
        });
      await this.refill;
    }
    return this.next++;
  }
}
