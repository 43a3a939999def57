/**
 * `routeByField`: `{ type: 'routeByField', field: 'region', topicFormat: 'orders-{value}' }`
 * sends each record to the topic named by one of its value's fields. A record without the
 * field, or whose field makes no valid topic name, is a `RecordError` (dead-letter topic).
 */

import { isPlainObject } from '../config/config-reader.ts';
import { RecordError } from '../errors.ts';
import type { TransformPlugin } from './transform.ts';

const topicNamePattern = /^[a-zA-Z0-9._-]+$/;
const topicNameLengthMax = 249;
const placeholder = '{value}';

export const routeByField: TransformPlugin = {
  type: 'routeByField',
  description: "sets the destination topic from a field of the value ('{value}' in topicFormat)",
  create(reader) {
    const field = reader.requiredString('field');
    const topicFormat = reader.string('topicFormat', placeholder);
    if (!topicFormat.includes(placeholder)) {
      reader.problem(
        `'topicFormat' must contain ${placeholder}, got ${JSON.stringify(topicFormat)}`,
      );
    }
    return (record) => {
      const value = record.value;
      const routed = isPlainObject(value) ? value[field] : undefined;
      if (typeof routed !== 'string' && typeof routed !== 'number') {
        throw new RecordError(
          'TRANSFORM_FAILED',
          `routeByField: the value has no text or number field '${field}'`,
        );
      }
      const topic = topicFormat.replaceAll(placeholder, String(routed));
      if (!topicNamePattern.test(topic) || topic.length > topicNameLengthMax) {
        throw new RecordError(
          'TRANSFORM_FAILED',
          `routeByField: ${JSON.stringify(topic)} is no valid topic name`,
        );
      }
      return { ...record, topic };
    };
  },
};
