/**
 * The idempotent producer's per-partition logic against a model of a broker partition that
 * follows Kafka's sequence rules (five batches remembered per producer). The network may
 * lose responses, time requests out (while they still arrive later), and reorder delivery;
 * the broker may refuse a batch for good. Checked: every record acknowledged as written is
 * in the log at the offset it was told; the log holds no duplicate; records appear in the
 * order they were appended; with a healthy network at the end every record that was not
 * refused is written.
 */
import { CompressionType, ErrorCode } from '@tributary/protocol';
import test from 'ava';
import fc from 'fast-check';
import { ProducerBatch } from '../../src/producer/batch.ts';
import { type BatchOutcome, PartitionQueue } from '../../src/producer/partition-queue.ts';
import { SendTracker } from '../../src/producer/send-tracker.ts';
import { ModelPartition } from '../helpers/model-partition.ts';

interface InFlight {
  readonly batch: ProducerBatch;
  readonly bytes: Uint8Array;
  delivered: boolean;
  response: { error: number; baseOffset: number } | undefined;
  completed: boolean;
}

type Step =
  | { kind: 'append'; count: number; poison: boolean }
  | { kind: 'send' }
  | { kind: 'deliver'; pick: number }
  | { kind: 'respond'; pick: number; lose: boolean }
  | { kind: 'timeout'; pick: number }
  | { kind: 'forget' }
  | { kind: 'advance'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      count: fc.integer({ min: 1, max: 4 }),
      poison: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
    }),
  },
  { weight: 4, arbitrary: fc.constant({ kind: 'send' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('respond' as const),
      pick: fc.nat(),
      lose: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('timeout' as const), pick: fc.nat() }) },
);

/** Harsher steps: the broker forgets producer state; time passes delivery deadlines. */
const harshStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: step },
  { weight: 1, arbitrary: fc.constant({ kind: 'forget' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 1, max: 3_000 }),
    }),
  },
);

const deliveryTimeoutMs = 2_000;

class Harness {
  readonly broker = new ModelPartition();
  readonly queue = new PartitionQueue('t', 0);
  readonly network: InFlight[] = [];
  readonly acknowledged = new Map<number, number>(); // record id → offset told
  readonly failed = new Set<number>();
  private nextId = 0;
  /** Record id → the ids of its batch (records fail together). */
  readonly batchOf = new Map<number, number[]>();
  now = 0;
  epoch = 0;

  constructor() {
    this.queue.identity = { producerId: 1, producerEpoch: 0 };
  }

  append(count: number, poison: boolean): void {
    const batch = new ProducerBatch(
      't',
      0,
      { acks: 'quorum', compression: CompressionType.none },
      this.now,
      deliveryTimeoutMs,
    );
    this.queue.push(batch);
    const ids: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const id = this.nextId++;
      ids.push(id);
      this.batchOf.set(id, ids);
      if (poison && i === 0) this.broker.poison.add(id);
      const tracker = new SendTracker();
      batch.append({ key: null, value: Buffer.from(String(id)), timestamp: 0 }, 20, tracker);
      tracker.add(1);
      tracker.seal();
      tracker.promise.then(
        (results) => this.acknowledged.set(id, Number(results[0]?.baseOffset)),
        () => this.failed.add(id),
      );
    }
    batch.closed = true;
  }

  send(): void {
    const batch = this.queue.sendable({
      nowMs: this.now,
      lingerMs: 0,
      batchBytes: 1e9,
      flushing: true,
      inflightMax: 5,
    });
    if (batch === undefined) return;
    const bytes = this.queue.take(batch, true);
    this.network.push({ batch, bytes, delivered: false, response: undefined, completed: false });
  }

  deliver(pick: number): void {
    const waiting = this.network.filter((m) => !m.delivered);
    const message = waiting[pick % Math.max(1, waiting.length)];
    if (message === undefined) return;
    message.delivered = true;
    message.response = this.broker.append(message.bytes);
  }

  respond(pick: number, lose: boolean): void {
    const answered = this.network.filter((m) => m.response !== undefined && !m.completed);
    const message = answered[pick % Math.max(1, answered.length)];
    if (message === undefined) return;
    message.completed = true;
    if (lose) this.complete(message.batch, { kind: 'retry', error: new Error('lost') });
    else this.complete(message.batch, outcomeOf(message.response!));
  }

  /** The client gives up waiting; the request may still reach the broker later. */
  timeout(pick: number): void {
    const open = this.network.filter((m) => !m.completed);
    const message = open[pick % Math.max(1, open.length)];
    if (message === undefined) return;
    message.completed = true;
    this.complete(message.batch, { kind: 'retry', error: new Error('timeout') });
  }

  complete(batch: ProducerBatch, outcome: BatchOutcome): void {
    this.queue.complete(batch, outcome);
    this.adoptEpochIfNeeded();
  }

  advance(ms: number): void {
    this.now += ms;
    this.queue.expire(this.now, () => new Error('delivery timeout'));
    this.adoptEpochIfNeeded();
  }

  private adoptEpochIfNeeded(): void {
    if (this.queue.needsNewEpoch) {
      this.epoch += 1;
      this.queue.adoptIdentity({ producerId: 1, producerEpoch: this.epoch });
    }
  }

  run(s: Step): void {
    if (s.kind === 'append') this.append(s.count, s.poison);
    else if (s.kind === 'send') this.send();
    else if (s.kind === 'deliver') this.deliver(s.pick);
    else if (s.kind === 'respond') this.respond(s.pick, s.lose);
    else if (s.kind === 'timeout') this.timeout(s.pick);
    else if (s.kind === 'forget') this.broker.forgetProducers();
    else this.advance(s.ms);
  }

  /** A healthy network: everything delivered and answered, until the queue is empty. */
  drain(): void {
    for (
      let round = 0;
      round < 10_000 && !(this.queue.isIdle && this.network.every((m) => m.completed));
      round += 1
    ) {
      this.send();
      for (const message of this.network) {
        if (!message.delivered) {
          message.delivered = true;
          message.response = this.broker.append(message.bytes);
        }
      }
      for (const message of this.network) {
        if (!message.completed && message.response !== undefined) {
          message.completed = true;
          this.complete(message.batch, outcomeOf(message.response));
        }
      }
    }
  }
}

function outcomeOf(response: { error: number; baseOffset: number }): BatchOutcome {
  const { error, baseOffset } = response;
  if (error === 0 || error === ErrorCode.DuplicateSequence.code)
    return { kind: 'written', baseOffset, logStartOffset: 0 };
  if (error === ErrorCode.OutOfOrderSequence.code) return { kind: 'outOfOrder', error };
  if (error === ErrorCode.UnknownProducerId.code) return { kind: 'unknownProducer', error };
  if (error === ErrorCode.InvalidProducerEpoch.code) return { kind: 'producerFenced', error };
  return { kind: 'rejected', error };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test('records are written once, in order, at the offsets acknowledged, across losses and reorders', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 120 }), async (steps) => {
      const h = new Harness();
      for (const s of steps) h.run(s);
      h.drain();
      await settle();
      const log = h.broker.log;
      if (new Set(log).size !== log.length) throw new Error(`duplicate in log ${log}`);
      checkOrderAndOffsets(h);
      for (const id of h.failed) {
        if (!(h.batchOf.get(id) ?? []).some((other) => h.broker.poison.has(other))) {
          throw new Error(`record ${id} failed without being refused`);
        }
      }
      if (
        h.acknowledged.size !== log.length ||
        h.acknowledged.size + h.failed.size !== h.batchOf.size
      ) {
        throw new Error(
          `acknowledged ${h.acknowledged.size}, failed ${h.failed.size}, log ${log.length}`,
        );
      }
    }),
    { numRuns: Number(process.env.PRODUCER_MODEL_RUNS ?? 300) },
  );
  t.pass();
});

test('with lost broker state and delivery deadlines: acknowledged records stay put, in order', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(harshStep, { minLength: 1, maxLength: 150 }), async (steps) => {
      const h = new Harness();
      let forgot = false;
      for (const s of steps) {
        forgot ||= s.kind === 'forget';
        h.run(s);
      }
      h.drain();
      await settle();
      const log = h.broker.log;
      // Only a broker that forgot this producer can be fooled into a duplicate.
      if (!forgot && new Set(log).size !== log.length) throw new Error(`duplicate in log ${log}`);
      checkOrderAndOffsets(h);
      if (h.acknowledged.size + h.failed.size !== h.batchOf.size) {
        throw new Error(
          `records left hanging: ${h.batchOf.size - h.acknowledged.size - h.failed.size}`,
        );
      }
    }),
    { numRuns: Number(process.env.PRODUCER_MODEL_RUNS ?? 300) },
  );
  t.pass();
});

/** Every acknowledged record is where it was told; first appearances rise with append order. */
function checkOrderAndOffsets(h: Harness): void {
  const log = h.broker.log;
  const seen = new Set<number>();
  let last = -1;
  for (const id of log) {
    if (seen.has(id)) continue;
    seen.add(id);
    if (id < last) throw new Error(`out of order: ${log}`);
    last = id;
  }
  for (const [id, offset] of h.acknowledged) {
    if (log[offset] !== id)
      throw new Error(`record ${id} acknowledged at ${offset}, log has ${log[offset]}`);
  }
}

test('a batch refused for good rewinds the sequences of the batches after it', async (t) => {
  const h = new Harness();
  h.append(2, true); // records 0-1, refused
  h.append(2, false); // records 2-3
  h.append(1, false); // record 4
  h.send();
  h.send();
  h.send();
  t.is(h.queue.inflightCount, 3);
  h.deliver(0);
  h.deliver(0);
  h.deliver(0);
  h.respond(0, false); // refused
  h.respond(0, false); // out of order (gap), retried after the rewind
  h.respond(0, false);
  h.drain();
  await settle();
  t.deepEqual(h.broker.log, [2, 3, 4]);
  t.deepEqual([...h.failed].sort(), [0, 1]);
  t.is(h.acknowledged.get(4), 2);
});

test('a lost response is retried with the same bytes and deduplicated by the broker', async (t) => {
  const h = new Harness();
  h.append(3, false);
  h.send();
  h.deliver(0);
  h.respond(0, true); // written, but the answer is lost
  t.is(h.queue.mode, 'recovering');
  h.drain();
  await settle();
  t.deepEqual(h.broker.log, [0, 1, 2]);
  t.is(h.acknowledged.get(0), 0);
});

test('broker state loss fails the oldest batch and moves the partition to a new epoch', async (t) => {
  const h = new Harness();
  h.append(1, false);
  h.drain();
  h.broker.forgetProducers();
  h.append(1, false);
  h.append(1, false);
  h.send();
  h.deliver(0);
  h.respond(0, false); // UNKNOWN_PRODUCER_ID: sequence 1 from an unknown producer
  t.is(h.epoch, 1);
  h.drain();
  await settle();
  t.deepEqual([...h.failed], [1]);
  t.deepEqual(h.broker.log, [0, 2]);
});
