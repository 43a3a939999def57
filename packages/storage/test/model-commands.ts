/**
 * fast-check commands that drive a PartitionLog on the simulated disk and check it against
 * the LogModel after every step: appends (single and in bursts), reads (in and out of
 * range), rolls, clock moves, flushes, retention, compaction, truncation, clean reopens,
 * crashes between steps and crashes in the middle of an operation.
 */
import fc from 'fast-check';
import {
  InvalidTruncationError,
  type LogConfig,
  OffsetOutOfRangeError,
  type PartitionLog,
  type ReadResult,
} from '../src/index.ts';
import {
  batchOf,
  decodeBatches,
  readAll,
  readLog,
  type SimLogEnvironment,
  type SimpleRecord,
} from './helpers.ts';
import {
  checkCompactedFully,
  checkCompaction,
  checkExact,
  expectedRetentionStart,
  LogModel,
  type Verdict,
} from './model.ts';

export interface Real {
  readonly env: SimLogEnvironment;
  readonly config: LogConfig;
  /** Whether every key fits the compactor's map in one pass (enables the strict check). */
  readonly fullCompaction: boolean;
  log: PartitionLog;
  /** Read results kept unreleased, with a copy of their bytes: they must never change. */
  readonly held: HeldRead[];
}

interface HeldRead {
  readonly result: ReadResult;
  readonly copies: Uint8Array[];
  readonly where: string;
}

const heldReadsMax = 4;

/** Every unreleased read result still holds the bytes it was read with. */
function checkHeld(real: Real, where: string): void {
  for (const held of real.held) {
    held.result.batches.forEach((batch, i) => {
      if (!Buffer.from(batch).equals(held.copies[i]!)) {
        throw new Error(`${where}: batch ${i} of the unreleased ${held.where} changed`);
      }
    });
  }
}

/**
 * Keeps about one read result in four unreleased (the oldest released when more than
 * `heldReadsMax` are held) and releases the others at once, so reads reuse buffers while
 * results held across appends, reads, compaction, truncation and crashes are checked.
 */
function holdOrRelease(real: Real, result: ReadResult, pick: number, where: string): void {
  if ((pick >>> 3) % 4 !== 0) {
    result.release();
    count('read.released');
    return;
  }
  real.held.push({ result, copies: result.batches.map((b) => Buffer.from(b)), where });
  count('read.held');
  if (real.held.length > heldReadsMax) real.held.shift()!.result.release();
}

type Command = fc.AsyncCommand<LogModel, Real>;

/** What the runs exercised, so a test can show it is not vacuous. */
export const coverage = new Map<string, number>();
function count(what: string, by = 1): void {
  coverage.set(what, (coverage.get(what) ?? 0) + by);
}

function expect(verdict: Verdict, where: string): void {
  if (verdict !== null) throw new Error(`${where}: ${verdict}`);
}

function expectEqual<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected)
    throw new Error(`${what}: got ${String(actual)}, expected ${String(expected)}`);
}

async function checkBounds(model: LogModel, real: Real, where: string): Promise<void> {
  checkHeld(real, where);
  expectEqual(real.log.logStartOffset, model.logStart, `${where}: logStartOffset`);
  expectEqual(real.log.logEndOffset, model.logEnd, `${where}: logEndOffset`);
}

async function checkContents(model: LogModel, real: Real, where: string): Promise<void> {
  await checkBounds(model, real, where);
  expect(checkExact(model, await readAll(real.log, 700)), where);
}

function recordsOf(specs: readonly RecordSpec[], nowMs: number): SimpleRecord[] {
  return specs.map((spec) => ({
    key: spec.key,
    value: spec.value === null ? null : spec.value.padEnd(spec.padding, '~'),
    timestamp: Math.max(0, nowMs + spec.timestampShift),
  }));
}

export interface RecordSpec {
  readonly key: string | null;
  readonly value: string | null;
  readonly padding: number;
  readonly timestampShift: number;
}

export function recordSpec(keySpace: number): fc.Arbitrary<RecordSpec> {
  return fc.record({
    key: fc.option(
      fc.integer({ min: 0, max: keySpace - 1 }).map((k) => `k${k}`),
      { nil: null, freq: 8 },
    ),
    value: fc.option(fc.string({ maxLength: 6 }), { nil: null, freq: 5 }),
    padding: fc.integer({ min: 0, max: 120 }),
    timestampShift: fc.integer({ min: -300, max: 300 }),
  });
}

class AppendCommand implements Command {
  constructor(readonly specs: readonly RecordSpec[]) {}
  check = () => true;
  async run(model: LogModel, real: Real): Promise<void> {
    const records = recordsOf(this.specs, real.env.clock.nowMs());
    const result = await real.log.append(batchOf(records));
    const batch = model.append(records);
    count('append');
    expectEqual(result.baseOffset, batch.baseOffset, 'append baseOffset');
    expectEqual(result.lastOffset, batch.lastOffset, 'append lastOffset');
    await checkBounds(model, real, 'append');
  }
  toString = () => `append(${this.specs.length})`;
}

class AppendBurstCommand implements Command {
  constructor(readonly batches: readonly (readonly RecordSpec[])[]) {}
  check = () => true;
  async run(model: LogModel, real: Real): Promise<void> {
    const nowMs = real.env.clock.nowMs();
    const records = this.batches.map((specs) => recordsOf(specs, nowMs));
    const results = await Promise.all(records.map((batch) => real.log.append(batchOf(batch))));
    records.forEach((batch, i) => {
      const expected = model.append(batch);
      expectEqual(results[i]!.baseOffset, expected.baseOffset, `burst append ${i} baseOffset`);
    });
    await checkContents(model, real, 'burst');
  }
  toString = () => `burst(${this.batches.map((b) => b.length).join(',')})`;
}

class ReadCommand implements Command {
  constructor(
    readonly pick: number,
    readonly maxBytes: number,
    readonly probe: 'in' | 'below' | 'above',
  ) {}
  check = () => true;
  async run(model: LogModel, real: Real): Promise<void> {
    if (this.probe !== 'in') {
      const offset =
        this.probe === 'above' ? model.logEnd + 1 + (this.pick % 3) : model.logStart - 1;
      if (offset < 0) return;
      try {
        await real.log.read(offset, this.maxBytes);
      } catch (error) {
        if (!(error instanceof OffsetOutOfRangeError)) throw error;
        expectEqual(error.logStartOffset, model.logStart, 'out of range: logStartOffset');
        expectEqual(error.logEndOffset, model.logEnd, 'out of range: logEndOffset');
        return;
      }
      throw new Error(
        `read at ${offset} outside [${model.logStart}, ${model.logEnd}] did not fail`,
      );
    }
    const offset = model.logStart + (this.pick % (model.logEnd - model.logStart + 1));
    const result = await real.log.read(offset, this.maxBytes);
    try {
      this.verify(model, offset, result);
    } finally {
      holdOrRelease(real, result, this.pick, `read(${offset}, ${this.maxBytes})`);
    }
    checkHeld(real, `read(${offset}, ${this.maxBytes})`);
  }

  private verify(model: LogModel, offset: number, result: ReadResult): void {
    if (offset === model.logEnd) {
      expectEqual(result.batches.length, 0, 'read at the end');
      return;
    }
    if (result.batches.length > 1 && result.sizeBytes > this.maxBytes) {
      throw new Error(
        `read returned ${result.sizeBytes} bytes in several batches, max ${this.maxBytes}`,
      );
    }
    const records = decodeBatches(result.batches);
    const from = records[0]?.offset ?? offset;
    const expected = model
      .present()
      .filter((r) => r.offset >= Math.min(from, offset) && r.offset < result.nextOffset);
    const inRange = records.filter((r) => r.offset >= Math.min(from, offset));
    expect(
      inRange.length === expected.length
        ? checkExact(modelOf(expected), inRange, result.nextOffset)
        : `read at ${offset} gave ${records.map((r) => r.offset)}, expected ${expected.map((r) => r.offset)}`,
      `read(${offset}, ${this.maxBytes})`,
    );
    if (!(result.nextOffset > offset)) throw new Error(`read at ${offset} did not progress`);
  }
  toString = () => `read(${this.probe} ${this.pick}, ${this.maxBytes})`;
}

function modelOf(records: readonly SimpleRecord[] & readonly { offset: number }[]): LogModel {
  const model = new LogModel();
  for (const record of records) model.records.set(record.offset, record as never);
  model.logEnd = Number.MAX_SAFE_INTEGER;
  return model;
}

class AdvanceClockCommand implements Command {
  constructor(readonly deltaMs: number) {}
  check = () => true;
  async run(_model: LogModel, real: Real): Promise<void> {
    real.env.clock.advance(this.deltaMs);
  }
  toString = () => `advance(${this.deltaMs})`;
}

class RollCommand implements Command {
  check = () => true;
  async run(model: LogModel, real: Real): Promise<void> {
    await real.log.roll();
    await checkBounds(model, real, 'roll');
  }
  toString = () => 'roll';
}

class FlushCommand implements Command {
  check = () => true;
  async run(model: LogModel, real: Real): Promise<void> {
    const durable = await real.log.flush();
    expectEqual(durable, model.logEnd, 'flush durable offset');
    model.durable = durable;
  }
  toString = () => 'flush';
}

class RetentionCommand implements Command {
  check = () => true;
  async run(model: LogModel, real: Real): Promise<void> {
    const expected = expectedRetentionStart(
      real.log.segmentInfo(),
      real.config,
      real.env.clock.nowMs(),
    );
    const result = await real.log.applyRetention();
    count('retention.segmentsDeleted', result.segmentsDeleted);
    expectEqual(real.log.logStartOffset, expected, 'log start after retention');
    model.dropBelow(expected);
    await checkContents(model, real, 'retention');
  }
  toString = () => 'retention';
}

function compactionRules(real: Real) {
  const segments = real.log.segmentInfo();
  return {
    activeBase: segments[segments.length - 1]!.baseOffset,
    nowMs: real.env.clock.nowMs(),
    deleteRetentionMs: real.config.deleteRetentionMs,
  };
}

class CompactCommand implements Command {
  check = () => true;
  async run(model: LogModel, real: Real): Promise<void> {
    const rules = compactionRules(real);
    const result = await real.log.compact();
    count('compact.recordsRemoved', result.recordsRemoved);
    count('compact.segmentsCleaned', result.segmentsCleaned);
    await checkBounds(model, real, 'compact');
    const observed = await readLog(real.log, 500);
    const range = { start: model.logStart, end: model.logEnd };
    expect(checkCompaction(model, observed.records, rules, range), 'compact');
    if (real.fullCompaction && real.config.cleanupPolicy !== 'delete') {
      expect(checkCompactedFully(observed.records, rules), 'compact (full pass)');
    }
    model.adopt(observed, model.logStart, model.logEnd);
  }
  toString = () => 'compact';
}

class TruncateCommand implements Command {
  constructor(
    readonly pick: number,
    readonly inside: boolean,
  ) {}
  check = () => true;
  async run(model: LogModel, real: Real): Promise<void> {
    const inside = model.insideBatch();
    if (this.inside && inside !== null) {
      const end = model.logEnd;
      await real.log.truncateTo(inside).then(
        () => {
          throw new Error(`truncateTo(${inside}) inside a batch did not fail`);
        },
        (error) => {
          if (!(error instanceof InvalidTruncationError)) throw error;
        },
      );
      expectEqual(real.log.logEndOffset, end, 'refused truncation changed nothing');
      return;
    }
    const points = model.cutPoints();
    const offset = points[this.pick % points.length]!;
    await real.log.truncateTo(offset);
    count(offset < model.logEnd ? 'truncate.cut' : 'truncate.noop');
    model.truncate(offset);
    await checkContents(model, real, `truncateTo(${offset})`);
  }
  toString = () => `truncate(${this.inside ? 'inside' : this.pick})`;
}

class ReopenCommand implements Command {
  check = () => true;
  async run(model: LogModel, real: Real): Promise<void> {
    await real.log.close();
    real.log = await real.env.open();
    if (!real.log.recovery.cleanShutdown) throw new Error('clean close not recognised');
    expectEqual(real.log.recovery.segmentsScanned, 0, 'segments scanned after a clean close');
    model.durable = model.logEnd;
    await checkContents(model, real, 'reopen');
  }
  toString = () => 'reopen';
}

export type CrashPoint =
  | 'between'
  | 'compact'
  | 'retention'
  | 'flush'
  | 'truncate'
  | 'append'
  | 'close'
  | 'roll';

class CrashCommand implements Command {
  constructor(
    readonly during: CrashPoint,
    readonly afterMutations: number,
    readonly pick: number,
  ) {}
  check = () => true;

  async run(model: LogModel, real: Real): Promise<void> {
    const rules = compactionRules(real);
    const retentionStart = expectedRetentionStart(real.log.segmentInfo(), real.config, rules.nowMs);
    const points = model.cutPoints();
    const cut = points[this.pick % points.length]!;
    let durableFloor = model.durable;
    if (this.during !== 'between') real.env.fs.armCrash(this.afterMutations);
    await this.operate(real, cut, (records) => model.append(records)).catch(() => {});
    count(real.env.fs.crashArmed ? `crash.${this.during}.after` : `crash.${this.during}.inside`);
    if (this.during === 'truncate') durableFloor = Math.min(durableFloor, cut);
    real.env.fs.disarmCrash();
    real.env.fs.crash();
    real.log = await real.env.open();
    const start = real.log.logStartOffset;
    const end = real.log.logEndOffset;
    const where = `crash during ${this.during}`;
    if (real.log.recovery.tornBytesTruncated > 0) count('crash.tornTailTruncated');
    if (end < model.logEnd) count('crash.lostUnflushed');
    if (real.log.recovery.swapsCompleted > 0) count('crash.swapCompleted');
    if (real.log.recovery.leftoverFilesRemoved > 0) count('crash.leftoversRemoved');
    const startMax = this.during === 'retention' ? retentionStart : model.logStart;
    if (start < model.logStart || start > startMax) {
      throw new Error(`${where}: log start ${start} outside [${model.logStart}, ${startMax}]`);
    }
    if (end < durableFloor || end > model.logEnd) {
      throw new Error(`${where}: log end ${end} outside [${durableFloor}, ${model.logEnd}]`);
    }
    const observed = await readLog(real.log, 900);
    model.dropBelow(start);
    const verdict =
      this.during === 'compact'
        ? checkCompaction(model, observed.records, rules, { start, end })
        : checkExact(model, observed.records, end);
    expect(verdict, where);
    model.adopt(observed, start, end);
    model.durable = end;
  }

  /** The operation to interrupt; `appended` hears of an append that returned. */
  private async operate(
    real: Real,
    cut: number,
    appended: (records: SimpleRecord[]) => void,
  ): Promise<void> {
    const log = real.log;
    switch (this.during) {
      case 'between':
        return;
      case 'compact':
        await log.compact();
        return;
      case 'retention':
        await log.applyRetention();
        return;
      case 'flush':
        await log.flush();
        return;
      case 'truncate':
        await log.truncateTo(cut);
        return;
      case 'close':
        await log.close();
        return;
      case 'roll':
        await log.roll();
        return;
      case 'append': {
        const records = [
          { key: 'crash', value: 'x'.repeat(400), timestamp: real.env.clock.nowMs() },
        ];
        await log.append(batchOf(records));
        appended(records);
        await log.flush();
        return;
      }
    }
  }
  toString = () => `crash(${this.during}, after ${this.afterMutations})`;
}

export function commandArbitraries(keySpace: number): fc.Arbitrary<Command>[] {
  const specs = fc.array(recordSpec(keySpace), { minLength: 1, maxLength: 6 });
  const crashPoints: CrashPoint[] = [
    'between',
    'compact',
    'retention',
    'flush',
    'truncate',
    'append',
    'close',
    'roll',
  ];
  return [
    specs.map((s) => new AppendCommand(s)),
    specs.map((s) => new AppendCommand(s)),
    specs.map((s) => new AppendCommand(s)),
    fc.array(specs, { minLength: 2, maxLength: 6 }).map((b) => new AppendBurstCommand(b)),
    fc
      .tuple(
        fc.nat(),
        fc.integer({ min: 1, max: 3000 }),
        fc.constantFrom('in', 'in', 'in', 'below', 'above'),
      )
      .map(
        ([pick, maxBytes, probe]) =>
          new ReadCommand(pick, maxBytes, probe as 'in' | 'below' | 'above'),
      ),
    fc.integer({ min: 0, max: 4000 }).map((ms) => new AdvanceClockCommand(ms)),
    fc.constant(new RollCommand()),
    fc.constant(new FlushCommand()),
    fc.constant(new RetentionCommand()),
    fc.constant(new CompactCommand()),
    fc.constant(new CompactCommand()),
    fc.tuple(fc.nat(), fc.boolean()).map(([pick, inside]) => new TruncateCommand(pick, inside)),
    fc.constant(new ReopenCommand()),
    fc
      .tuple(fc.constantFrom(...crashPoints), fc.integer({ min: 1, max: 12 }), fc.nat())
      .map(([during, after, pick]) => new CrashCommand(during, after, pick)),
  ];
}
