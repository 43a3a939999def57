/**
 * DeleteTopics (api 3).
 *
 *   request  = { names: [string], timeoutMs }
 *   response = { topics: [{ name, error, message? }] }
 */
import * as limits from '../limits.ts';
import * as s from '../wire/schema.ts';
import { timeoutMs, topicName } from './common.ts';

export type { TopicResultsResponse as DeleteTopicsResponse } from './topic-results.ts';
export { topicResultsResponse as deleteTopicsResponse } from './topic-results.ts';

export const deleteTopicsRequest = s.object({
  names: s.array(topicName, { maxItems: limits.topicsPerRequestMax }),
  timeoutMs,
});
export type DeleteTopicsRequest = s.Infer<typeof deleteTopicsRequest>;
