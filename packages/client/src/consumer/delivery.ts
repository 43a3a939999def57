/**
 * Handing fetched records to the application: the `run` workers (per-message or per-batch
 * handlers, `partitionsConsumedConcurrently` at once, never two chunks of one partition at
 * once) and the async iterator. A record counts as consumed once its handler returned (or,
 * for the iterator, once the application asks for the next record); only consumed records
 * are committed. Before each record the partition's epoch is checked, so a seek, pause or
 * revocation stops delivery of records fetched before it.
 */
import { RecordBatchView } from '@tributary/protocol';
import { eachBatchRecordsMax } from '../limits.ts';
import type { ConsumerMessage } from './message.ts';
import { FetchedMessage, messageListOf, messagesOf } from './message.ts';
import type { FetchedChunk, MessageBuffer } from './message-buffer.ts';
import type { PartitionState, PartitionStates } from './partition-states.ts';
import { tpKey } from './topic-partition.ts';

export interface EachMessagePayload {
  readonly topic: string;
  readonly partition: number;
  readonly message: ConsumerMessage;
  /** Kept for KafkaJS compatibility: heartbeats run in the background anyway. */
  heartbeat(): Promise<void>;
  /** Pauses this partition; returns the function that resumes it. */
  pause(): () => void;
}

export interface Batch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: bigint;
  readonly messages: readonly ConsumerMessage[];
  isEmpty(): boolean;
  firstOffset(): bigint | null;
  lastOffset(): bigint;
  /** Records after this batch up to the high watermark. */
  offsetLag(): bigint;
}

export interface EachBatchPayload {
  readonly batch: Batch;
  /** Marks records up to and including `offset` as consumed (committable). */
  resolveOffset(offset: bigint | string): void;
  heartbeat(): Promise<void>;
  /** Commits consumed offsets now if auto-commit is due. */
  commitOffsetsIfNecessary(): Promise<void>;
  /** False once the consumer is stopping or this partition was revoked, paused or sought. */
  isRunning(): boolean;
  isStale(): boolean;
  pause(): () => void;
}

export interface RunHandlers {
  readonly eachMessage?: (payload: EachMessagePayload) => Promise<void>;
  readonly eachBatch?: (payload: EachBatchPayload) => Promise<void>;
  readonly eachBatchAutoResolve: boolean;
}

export interface DeliveryContext {
  readonly states: PartitionStates;
  readonly buffer: MessageBuffer;
  /** Per partition, the handler currently working on it (revocation waits for it). */
  readonly processing: Map<string, Promise<void>>;
  readonly signal: AbortSignal;
  isRunning(): boolean;
  /**
   * Starts an auto-commit when one is due and returns it; undefined when none is due, the
   * usual case, so delivery awaits nothing per message.
   */
  maybeAutoCommit(): Promise<void> | undefined;
  onHandlerError(state: PartitionState, error: unknown): void;
  /**
   * The chunk's records could not be decoded (a batch whose CRC is right but whose records
   * are not: only a faulty producer writes one). Delivery of the partition stops before
   * them; it is reported and retried after a backoff, like a handler error.
   */
  onRecordsError(state: PartitionState, error: unknown): void;
  pause(topic: string, partition: number): () => void;
}

const noop = async () => {};

/** Takes the next chunk no other worker is processing, and locks its partition. */
async function claim(ctx: DeliveryContext): Promise<{ chunk: FetchedChunk; done: () => void }> {
  const chunk = await ctx.buffer.take(ctx.signal, (key) => !ctx.processing.has(key));
  const key = tpKey(chunk.topic, chunk.partition);
  let finish!: () => void;
  ctx.processing.set(key, new Promise<void>((resolve) => (finish = resolve)));
  return {
    chunk,
    done: () => {
      ctx.processing.delete(key);
      finish();
      ctx.buffer.release(chunk);
      ctx.buffer.retryTakers();
    },
  };
}

/** The live state of the chunk's partition, or undefined if the chunk is stale. */
function current(ctx: DeliveryContext, chunk: FetchedChunk): PartitionState | undefined {
  return liveState(ctx.states.get(chunk.topic, chunk.partition), chunk);
}

/** `state` if the chunk still belongs to it (same epoch, not paused), else undefined. */
function liveState(
  state: PartitionState | undefined,
  chunk: FetchedChunk,
): PartitionState | undefined {
  return state === undefined || state.epoch !== chunk.epoch || state.paused ? undefined : state;
}

/**
 * `current(ctx, chunk) === state` for checks made once per record: the partition's key is
 * made once, not a new string built and hashed on every check (in an eachMessage profile
 * those lookups took 17% of the consumer process).
 */
function stillCurrent(
  ctx: DeliveryContext,
  chunk: FetchedChunk,
): (state: PartitionState) => boolean {
  const key = tpKey(chunk.topic, chunk.partition);
  return (state) => liveState(ctx.states.getByKey(key), chunk) === state;
}

function startOf(state: PartitionState, chunk: FetchedChunk): number {
  return Math.max(state.consumedOffset, chunk.fromOffset);
}

/** After a whole chunk: skip past gaps (control batches, compaction) so commits advance. */
function finishChunk(ctx: DeliveryContext, state: PartitionState, chunk: FetchedChunk): void {
  if (current(ctx, chunk) === state)
    state.consumedOffset = Math.max(state.consumedOffset, chunk.nextOffset);
}

export async function runWorker(ctx: DeliveryContext, handlers: RunHandlers): Promise<void> {
  while (ctx.isRunning()) {
    let claimed: Awaited<ReturnType<typeof claim>>;
    try {
      claimed = await claim(ctx);
    } catch {
      return; // stopping
    }
    const { chunk, done } = claimed;
    try {
      const state = current(ctx, chunk);
      if (state === undefined) continue;
      if (handlers.eachBatch !== undefined) await deliverBatch(ctx, state, chunk, handlers);
      else await deliverMessages(ctx, state, chunk, handlers);
    } finally {
      done();
    }
  }
}

async function deliverMessages(
  ctx: DeliveryContext,
  state: PartitionState,
  chunk: FetchedChunk,
  handlers: RunHandlers,
) {
  const handle = handlers.eachMessage;
  if (handle === undefined) return;
  const isCurrent = stillCurrent(ctx, chunk);
  // Made once per chunk, not once per record (each closure made costs, more so under tsx).
  const pause = () => ctx.pause(chunk.topic, chunk.partition);
  const messages = messagesOf(chunk.topic, chunk.partition, chunk.batches, startOf(state, chunk));
  for (;;) {
    let next: IteratorResult<ConsumerMessage, void>;
    try {
      next = messages.next();
    } catch (error) {
      ctx.onRecordsError(state, error);
      return;
    }
    if (next.done) break;
    const message = next.value;
    if (!isCurrent(state) || !ctx.isRunning()) return;
    try {
      await handle({
        topic: chunk.topic,
        partition: chunk.partition,
        message,
        heartbeat: noop,
        pause,
      });
    } catch (error) {
      ctx.onHandlerError(state, error);
      return;
    }
    if (isCurrent(state)) state.consumedOffset = FetchedMessage.offsetNumberOf(message) + 1;
    const committing = ctx.maybeAutoCommit();
    if (committing !== undefined) await committing;
  }
  finishChunk(ctx, state, chunk);
}

/**
 * A run of a chunk's stored batches handed to one eachBatch call: records from `fromOffset`
 * up to `nextOffset` (exclusive; past the last batch, gaps included).
 */
interface ChunkSlice {
  readonly batches: readonly Uint8Array[];
  readonly fromOffset: number;
  readonly nextOffset: number;
}

/** The chunk cut between stored batches into slices of about `eachBatchRecordsMax` records. */
function slicesOf(chunk: FetchedChunk, fromOffset: number): ChunkSlice[] {
  const slices: ChunkSlice[] = [];
  let batches: Uint8Array[] = [];
  let records = 0;
  let lastOffset = -1;
  for (const bytes of chunk.batches) {
    const batch = new RecordBatchView(bytes);
    if (batches.length > 0 && records + batch.recordCount > eachBatchRecordsMax) {
      slices.push({ batches, fromOffset, nextOffset: lastOffset + 1 });
      batches = [];
      records = 0;
    }
    batches.push(bytes);
    records += batch.recordCount;
    lastOffset = batch.lastOffset;
  }
  slices.push({ batches, fromOffset, nextOffset: chunk.nextOffset });
  return slices;
}

/**
 * The slice as a Batch whose `messages` are decoded on first use, so a handler that reads
 * only offsets or the lag, or that only counts on `eachBatchAutoResolve`, decodes nothing.
 */
function batchOf(chunk: FetchedChunk, slice: ChunkSlice): DecodedOnDemand {
  let decoded: ConsumerMessage[] | undefined;
  let decodeError: { readonly error: unknown } | undefined;
  const messages = () => {
    if (decoded !== undefined) return decoded;
    try {
      decoded = messageListOf(chunk.topic, chunk.partition, slice.batches, slice.fromOffset);
    } catch (error) {
      decodeError = { error };
      throw error;
    }
    return decoded;
  };
  const batch: Batch = {
    topic: chunk.topic,
    partition: chunk.partition,
    highWatermark: BigInt(chunk.highWatermark),
    get messages() {
      return messages();
    },
    isEmpty: () => messages().length === 0,
    firstOffset: () => messages()[0]?.offset ?? null,
    lastOffset: () => messages().at(-1)?.offset ?? BigInt(slice.nextOffset - 1),
    offsetLag: () => BigInt(Math.max(0, chunk.highWatermark - slice.nextOffset)),
  };
  return { batch, decodeError: () => decodeError };
}

interface DecodedOnDemand {
  readonly batch: Batch;
  /** Set once decoding `batch.messages` failed (what the handler then threw, or caught). */
  decodeError(): { readonly error: unknown } | undefined;
}

/** The chunk in slices, one eachBatch call each, while the partition stays current. */
async function deliverBatch(
  ctx: DeliveryContext,
  state: PartitionState,
  chunk: FetchedChunk,
  handlers: RunHandlers,
) {
  for (const slice of slicesOf(chunk, startOf(state, chunk))) {
    if (current(ctx, chunk) !== state || !ctx.isRunning()) return;
    if (!(await deliverSlice(ctx, state, chunk, slice, handlers))) return;
  }
}

/** One eachBatch call; false if it failed (the partition is then redelivered later). */
async function deliverSlice(
  ctx: DeliveryContext,
  state: PartitionState,
  chunk: FetchedChunk,
  slice: ChunkSlice,
  handlers: RunHandlers,
): Promise<boolean> {
  const { batch, decodeError } = batchOf(chunk, slice);
  const resolveOffset = (offset: bigint | string) => {
    const next = Number(offset) + 1;
    if (current(ctx, chunk) === state && next > state.consumedOffset) state.consumedOffset = next;
  };
  try {
    await handlers.eachBatch!({
      batch,
      resolveOffset,
      heartbeat: noop,
      commitOffsetsIfNecessary: async () => {
        await ctx.maybeAutoCommit();
      },
      isRunning: () => ctx.isRunning() && current(ctx, chunk) === state,
      isStale: () => current(ctx, chunk) !== state,
      pause: () => ctx.pause(chunk.topic, chunk.partition),
    });
  } catch (error) {
    const failedDecoding = decodeError();
    if (failedDecoding !== undefined) ctx.onRecordsError(state, failedDecoding.error);
    else ctx.onHandlerError(state, error);
    return false;
  }
  const failedDecoding = decodeError();
  if (failedDecoding !== undefined) {
    // The handler caught it: the records after the corrupt one were never delivered.
    ctx.onRecordsError(state, failedDecoding.error);
    return false;
  }
  if (handlers.eachBatchAutoResolve && current(ctx, chunk) === state) {
    // Past gaps too (control batches, compaction), so commits advance.
    state.consumedOffset = Math.max(state.consumedOffset, slice.nextOffset);
  }
  const committing = ctx.maybeAutoCommit();
  if (committing !== undefined) await committing;
  return true;
}

type Step = IteratorResult<ConsumerMessage, void>;
const finished: Step = Object.freeze({ done: true, value: undefined });

/**
 * How an iteration ends: `error` undefined when the consumer stopped running or `byReturn`
 * (the application's `return()`, a `break`). The default ends quietly or rethrows; the
 * consumer's iterator also stops the consumer and reports a failure that stopped it.
 */
export type IterationEnd = (error: unknown, byReturn: boolean) => Promise<Step>;

const endPlainly: IterationEnd = (error) =>
  error === undefined ? Promise.resolve(finished) : Promise.reject(error);

/**
 * The async iterator: one record at a time; a record is consumed when the next is asked for.
 *
 * Written by hand rather than as an async generator: a generator's `yield` costs several
 * promise turns a record, twice that through the consumer's `yield*`, and capped iteration
 * well below the per-message handler. Here a record of a chunk already taken is handed out
 * in one resolved promise; only taking a chunk, and an auto-commit that is due, wait.
 * Calls are served in order: a `next()` made while another waits runs after it.
 */
export class RecordIterator implements AsyncIterator<ConsumerMessage, void> {
  private chunk: FetchedChunk | undefined;
  private release: (() => void) | undefined;
  private state: PartitionState | undefined;
  private isCurrent: (state: PartitionState) => boolean = () => false;
  private records: Iterator<ConsumerMessage, void> | undefined;
  /** Handed out last; consumed once the next record is asked for. */
  private handedOut: ConsumerMessage | undefined;
  private waiting: Promise<Step> | undefined;
  private ended = false;

  constructor(
    private readonly ctx: DeliveryContext,
    private readonly onEnd: IterationEnd = endPlainly,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<Step> {
    if (this.waiting !== undefined) {
      const after = () => this.next();
      return this.waiting.then(after, after);
    }
    if (this.ended) return Promise.resolve(finished);
    let committing: Promise<void> | undefined;
    try {
      committing = this.consumeHandedOut();
      if (committing === undefined) {
        const message = this.nextInChunk();
        if (message !== undefined) return Promise.resolve({ done: false, value: message });
      }
    } catch (error) {
      return this.end(error);
    }
    const step = this.nextAfterWaiting(committing);
    this.waiting = step;
    const clear = () => {
      if (this.waiting === step) this.waiting = undefined;
    };
    step.then(clear, clear);
    return step;
  }

  /** Ends the iteration: the record handed out last stays unconsumed. */
  return(): Promise<Step> {
    this.handedOut = undefined;
    // A next() still waiting for a chunk ends with the consumer's stop (its take aborts).
    if (this.waiting === undefined) this.closeChunk(false);
    return this.end(undefined, true);
  }

  private async nextAfterWaiting(committing: Promise<void> | undefined): Promise<Step> {
    try {
      if (committing !== undefined) await committing;
      for (;;) {
        const message = this.nextInChunk();
        if (message !== undefined) return { done: false, value: message };
        if (this.ended || !this.ctx.isRunning()) return this.end(undefined);
        const { chunk, done } = await claim(this.ctx);
        this.openChunk(chunk, done);
      }
    } catch (error) {
      return this.end(error);
    }
  }

  private end(error: unknown, byReturn = false): Promise<Step> {
    this.closeChunk(false);
    // Already ended by return(): a next() that was waiting fails only because of the stop.
    if (this.ended) return Promise.resolve(finished);
    this.ended = true;
    return this.onEnd(error, byReturn);
  }

  /** The record handed out last is consumed: its partition's position moves past it. */
  private consumeHandedOut(): Promise<void> | undefined {
    const message = this.handedOut;
    if (message === undefined) return undefined;
    this.handedOut = undefined;
    const state = this.state;
    if (state !== undefined && this.isCurrent(state))
      state.consumedOffset = FetchedMessage.offsetNumberOf(message) + 1;
    return this.ctx.maybeAutoCommit();
  }

  /** The next record of the chunk taken, if it is still current; undefined closes the chunk. */
  private nextInChunk(): ConsumerMessage | undefined {
    const records = this.records;
    const state = this.state;
    if (records === undefined || state === undefined) return undefined;
    if (this.ended || !this.isCurrent(state) || !this.ctx.isRunning()) {
      this.closeChunk(false);
      return undefined;
    }
    const next = records.next();
    if (next.done === true) {
      this.closeChunk(true);
      return undefined;
    }
    this.handedOut = next.value;
    return next.value;
  }

  private openChunk(chunk: FetchedChunk, done: () => void): void {
    const state = current(this.ctx, chunk);
    if (state === undefined) {
      done();
      return;
    }
    this.chunk = chunk;
    this.release = done;
    this.state = state;
    this.isCurrent = stillCurrent(this.ctx, chunk);
    this.records = messagesOf(chunk.topic, chunk.partition, chunk.batches, startOf(state, chunk))[
      Symbol.iterator
    ]();
  }

  /** Gives the chunk back; a chunk read to its end moves the position past its gaps. */
  private closeChunk(complete: boolean): void {
    const { chunk, state, release } = this;
    if (chunk === undefined || release === undefined) return;
    this.chunk = undefined;
    this.release = undefined;
    this.state = undefined;
    this.records = undefined;
    if (complete && state !== undefined) finishChunk(this.ctx, state, chunk);
    release();
  }
}

/** The async iterator over the records, ended by its `return()` or the consumer stopping. */
export function iterate(ctx: DeliveryContext, onEnd?: IterationEnd): RecordIterator {
  return new RecordIterator(ctx, onEnd);
}
