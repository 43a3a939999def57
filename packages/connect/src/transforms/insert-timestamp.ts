/**
 * `insertTimestamp`: `{ type: 'insertTimestamp', field: 'ingestedAt', format?: 'ms' | 'iso' }`
 * adds the record's timestamp (or, where it has none, the time of the transform) to the
 * value as milliseconds since the epoch or an ISO-8601 string.
 */
import { objectToEdit, readTarget, type TransformPlugin, withTarget } from './transform.ts';

export const insertTimestamp: TransformPlugin = {
  type: 'insertTimestamp',
  description: "adds the record's timestamp to the value as a field",
  create(reader) {
    const target = readTarget(reader);
    const field = reader.requiredString('field');
    const format = reader.oneOf('format', ['ms', 'iso'] as const, 'ms');
    return (record) => {
      const edited = objectToEdit(record, target, 'insertTimestamp');
      if (edited === undefined) return record;
      const ms = record.timestamp ?? Date.now();
      edited[field] = format === 'ms' ? ms : new Date(ms).toISOString();
      return withTarget(record, target, edited);
    };
  },
};
