/**
 * `maskField`: `{ type: 'maskField', fields: ['ssn'], replacement?: '****', target? }`.
 * Without a replacement a field becomes the empty value of its type (0, '', false, null for
 * objects), as Kafka Connect's MaskField does; with one, every masked field becomes it.
 */
import { objectToEdit, readTarget, type TransformPlugin, withTarget } from './transform.ts';

function emptyOf(value: unknown): unknown {
  switch (typeof value) {
    case 'number':
      return 0;
    case 'bigint':
      return 0n;
    case 'string':
      return '';
    case 'boolean':
      return false;
    default:
      return null;
  }
}

export const maskField: TransformPlugin = {
  type: 'maskField',
  description: 'replaces the given fields with an empty value or a fixed replacement',
  create(reader) {
    const target = readTarget(reader);
    const fields = reader.optionalStringList('fields');
    if (fields === undefined) reader.problem(`'fields' (the fields to mask) is required`);
    const replacement = reader.optionalString('replacement');
    return (record) => {
      const edited = objectToEdit(record, target, 'maskField');
      if (edited === undefined) return record;
      for (const field of fields ?? []) {
        if (field in edited) edited[field] = replacement ?? emptyOf(edited[field]);
      }
      return withTarget(record, target, edited);
    };
  },
};
