/**
 * Records that fail (conversion, a transform, a write the data is to blame for) are dealt
 * with by the connector's `errorTolerance`: `none` fails the task (nothing is skipped
 * silently), `all` skips the record and, with a `deadLetterTopic`, sends it there first —
 * its original bytes, with headers saying what failed, where and why.
 */
import type { ConnectorConfig } from '../config/connector-config.ts';
import { jsonConverter } from '../converters/converter.ts';
import { ConnectError, errorMessage } from '../errors.ts';
import { headerNames } from '../limits.ts';

export interface FailureContext {
  readonly connector: string;
  /** For sink records: where the record was read. */
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: bigint;
}

export function deadLetterHeaders(error: unknown, context: FailureContext): Record<string, string> {
  const code = error instanceof ConnectError ? error.code : 'UNKNOWN';
  const headers: Record<string, string> = {
    [headerNames.errorStage]: stageOf(code),
    [headerNames.errorCode]: code,
    [headerNames.errorMessage]: errorMessage(error).slice(0, 1000),
    [headerNames.errorConnector]: context.connector,
  };
  if (context.topic !== undefined) headers[headerNames.errorTopic] = context.topic;
  if (context.partition !== undefined)
    headers[headerNames.errorPartition] = String(context.partition);
  if (context.offset !== undefined) headers[headerNames.errorOffset] = context.offset.toString();
  return headers;
}

function stageOf(code: string): string {
  switch (code) {
    case 'CONVERSION_FAILED':
      return 'convert';
    case 'TRANSFORM_FAILED':
      return 'transform';
    default:
      return 'write';
  }
}

/** The record failed and the connector does not tolerate failures: the task stops. */
export class IntolerableRecordError extends ConnectError {
  constructor(error: unknown, where: string) {
    super('RECORD_REJECTED', `${where}: ${errorMessage(error)} (errorTolerance is none)`, {
      cause: error,
    });
    this.name = 'IntolerableRecordError';
  }
}

/** What to do with a failed record: throw (tolerance none), or whether to dead-letter it. */
export function toleranceOf(
  config: ConnectorConfig,
  error: unknown,
  where: string,
): 'dead-letter' | 'drop' {
  if (config.errorTolerance === 'none') throw new IntolerableRecordError(error, where);
  return config.deadLetterTopic === undefined ? 'drop' : 'dead-letter';
}

/** Bytes for a source record that never got converted: its value as JSON, or as text. */
export function bytesForDeadLetter(value: unknown): Buffer | null {
  if (Buffer.isBuffer(value)) return value;
  try {
    return jsonConverter.toBytes(value);
  } catch {
    return Buffer.from(String(value), 'utf8');
  }
}
