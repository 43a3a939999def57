/**
 * CreateTopics (api 2), answered once the controller has committed the topics (or the
 * timeout passed, with REQUEST_TIMED_OUT while creation may still complete).
 *
 *   request  = { topics: [{ name, partitions: int, replicationFactor: int,
 *                            configs: {string: string} }], timeoutMs, validateOnly }
 *   response = { topics: [{ name, error, message? }] }
 */
import * as limits from '../limits.ts';
import * as s from '../wire/schema.ts';
import { configMap, timeoutMs, topicName } from './common.ts';

export type { TopicResultsResponse as CreateTopicsResponse } from './topic-results.ts';
export { topicResultsResponse as createTopicsResponse } from './topic-results.ts';

export const createTopicsRequest = s.object({
  topics: s.array(
    s.object({
      name: topicName,
      partitions: s.int({ min: 1, max: limits.partitionsPerTopicMax }),
      replicationFactor: s.int({ min: 1, max: limits.replicationFactorMax }),
      configs: configMap,
    }),
    { maxItems: limits.topicsPerRequestMax },
  ),
  timeoutMs,
  validateOnly: s.boolean(),
});
export type CreateTopicsRequest = s.Infer<typeof createTopicsRequest>;
