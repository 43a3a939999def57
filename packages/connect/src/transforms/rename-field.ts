/** `renameField`: `{ type: 'renameField', renames: { from: 'to', ... }, target?: 'value' | 'key' }`. */
import { isPlainObject } from '../config/config-reader.ts';
import { objectToEdit, readTarget, type TransformPlugin, withTarget } from './transform.ts';

export const renameField: TransformPlugin = {
  type: 'renameField',
  description: 'renames fields of the record value (or key); fields absent are left alone',
  create(reader) {
    const target = readTarget(reader);
    const raw = reader.optionalValue('renames');
    const renames: [string, string][] = [];
    if (!isPlainObject(raw) || Object.keys(raw).length === 0) {
      reader.problem(`'renames' must be an object of { from: to } field names`);
    } else {
      for (const [from, to] of Object.entries(raw)) {
        if (typeof to !== 'string' || to.length === 0) {
          reader.problem(`'renames.${from}' must be a non-empty field name`);
        } else renames.push([from, to]);
      }
    }
    return (record) => {
      const edited = objectToEdit(record, target, 'renameField');
      if (edited === undefined) return record;
      const renamed: Record<string, unknown> = {};
      const map = new Map(renames);
      for (const [field, value] of Object.entries(edited)) renamed[map.get(field) ?? field] = value;
      return withTarget(record, target, renamed);
    };
  },
};
