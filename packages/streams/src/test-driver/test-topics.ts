/** Input and output topics of the `TopologyTestDriver`, typed by their serdes. */
import type { RecordHeaders } from '../engine/record.ts';
import { bytesToKeyString, deserializeNullable, type Serde, serializeNullable } from '../serdes.ts';

export interface TestRecord<K, V> {
  readonly key: K | null;
  readonly value: V | null;
  readonly timestamp: number;
  readonly headers: RecordHeaders;
}

/** A record kept by the driver in bytes, as a topic would hold it. */
export interface StoredRecord {
  readonly offset: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers: RecordHeaders;
}

export interface DriverPort {
  pipe(topic: string, record: Omit<StoredRecord, 'offset'>): void;
  read(topic: string, from: number): StoredRecord[];
  wallClockMs(): number;
}

export class TestInputTopic<K, V> {
  private nextTimestampMs: number;

  constructor(
    private readonly driver: DriverPort,
    readonly name: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
    /** Timestamp of the next record without one; advanced by `advanceTime` and `autoAdvanceMs`. */
    startTimestampMs: number,
    private readonly autoAdvanceMs: number,
  ) {
    this.nextTimestampMs = startTimestampMs;
  }

  pipeInput(
    key: K | null,
    value: V | null,
    timestampMs?: number,
    headers: RecordHeaders = [],
  ): void {
    const timestamp = timestampMs ?? this.nextTimestampMs;
    if (timestampMs === undefined) this.nextTimestampMs += this.autoAdvanceMs;
    this.driver.pipe(this.name, {
      key: serializeNullable(this.keySerde, key),
      value: serializeNullable(this.valueSerde, value),
      timestamp,
      headers,
    });
  }

  pipeValue(value: V | null, timestampMs?: number): void {
    this.pipeInput(null, value, timestampMs);
  }

  pipeKeyValues(pairs: readonly (readonly [K | null, V | null])[], timestampMs?: number): void {
    for (const [key, value] of pairs) this.pipeInput(key, value, timestampMs);
  }

  pipeRecords(records: readonly { key?: K | null; value: V | null; timestamp?: number }[]): void {
    for (const r of records) this.pipeInput(r.key ?? null, r.value, r.timestamp);
  }

  advanceTime(ms: number): void {
    this.nextTimestampMs += ms;
  }
}

export class TestOutputTopic<K, V> {
  private cursor = 0;

  constructor(
    private readonly driver: DriverPort,
    readonly name: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  private decode(record: StoredRecord): TestRecord<K, V> {
    return {
      key: deserializeNullable(this.keySerde, record.key),
      value: deserializeNullable(this.valueSerde, record.value),
      timestamp: record.timestamp,
      headers: record.headers,
    };
  }

  queueSize(): number {
    return this.driver.read(this.name, this.cursor).length;
  }

  isEmpty(): boolean {
    return this.queueSize() === 0;
  }

  readRecord(): TestRecord<K, V> | undefined {
    const [next] = this.driver.read(this.name, this.cursor);
    if (!next) return undefined;
    this.cursor += 1;
    return this.decode(next);
  }

  readKeyValue(): { key: K | null; value: V | null } | undefined {
    const record = this.readRecord();
    return record && { key: record.key, value: record.value };
  }

  readValue(): V | null | undefined {
    return this.readRecord()?.value;
  }

  readRecordsToList(): TestRecord<K, V>[] {
    const records = this.driver.read(this.name, this.cursor);
    this.cursor += records.length;
    return records.map((r) => this.decode(r));
  }

  readKeyValuesToList(): { key: K | null; value: V | null }[] {
    return this.readRecordsToList().map((r) => ({ key: r.key, value: r.value }));
  }

  readValuesToList(): (V | null)[] {
    return this.readRecordsToList().map((r) => r.value);
  }

  /**
   * The latest value per key (a null value removes the key), as a table would hold them.
   * Keys are told apart by their bytes, so object keys (windowed keys) work too.
   */
  readKeyValuesToMap(): Map<K, V> {
    const latest = new Map<string, { key: K; value: V }>();
    for (const stored of this.driver.read(this.name, this.cursor)) {
      this.cursor += 1;
      if (stored.key === null) continue;
      const id = bytesToKeyString(stored.key);
      const record = this.decode(stored);
      if (record.value === null) latest.delete(id);
      else latest.set(id, { key: record.key as K, value: record.value });
    }
    return new Map([...latest.values()].map((e) => [e.key, e.value]));
  }
}
