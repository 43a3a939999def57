/**
 * `read-back`: reads one partition from the beginning up to its high watermark as it was
 * when the read began, with a consumer of its own. `complete` means every offset below that
 * mark was read; a read that runs out of time fails (it changed nothing) and is retried.
 */
import type { Admin, Client } from '@tributary/client';
import type { OffsetValue, ReadBackValue } from '../../history/operation.ts';
import type { Completion } from '../../runner/workload.ts';
import { fetchMaxWaitMs } from './limits.ts';
import { type OperationCall, readFailed } from './outcomes.ts';
import { decodeRecordValue, offsetNumber } from './record-values.ts';

export async function readBack(
  client: Client,
  admin: Admin,
  value: ReadBackValue,
  call: OperationCall,
): Promise<Completion> {
  let end: number;
  try {
    const offsets = await admin.fetchTopicOffsets(value.topic, call);
    const found = offsets.find((p) => p.partition === value.partition);
    if (found === undefined) return readFailed(value, `no partition ${value.partition}`);
    end = offsetNumber(found.high);
  } catch (error) {
    return readFailed(value, error);
  }
  const offsetFirst = value.offsetFirst ?? 0;
  if (end <= offsetFirst) return { type: 'ok', value: { ...value, records: [], complete: true } };
  try {
    const records = await readUpTo(client, value, end, call);
    const last = records.at(-1)?.offset ?? -1;
    if (last < end - 1) return readFailed(value, `read stopped at ${last} of ${end}`);
    return { type: 'ok', value: { ...value, records, complete: true } };
  } catch (error) {
    return readFailed(value, error);
  }
}

/** Records from the partition's start until offset `end - 1`, or until the signal fires. */
async function readUpTo(
  client: Client,
  value: ReadBackValue,
  end: number,
  call: OperationCall,
): Promise<OffsetValue[]> {
  const consumer = client.consumer({ maxWaitMs: fetchMaxWaitMs, autoOffsetReset: 'earliest' });
  const records: OffsetValue[] = [];
  try {
    await consumer.connect(call);
    consumer.assign([{ topic: value.topic, partitions: [value.partition] }], {
      fromBeginning: true,
    });
    for await (const message of consumer.messages({ signal: call.signal })) {
      const offset = offsetNumber(message.offset);
      if (offset >= (value.offsetFirst ?? 0))
        records.push({ offset, value: decodeRecordValue(message.value) });
      if (offset >= end - 1) break;
    }
    return records;
  } finally {
    await consumer.disconnect({ timeoutMs: 1000 }).catch(() => {});
  }
}
