/** The per-topic outcome shared by topic administration responses. */
import * as limits from '../limits.ts';
import * as s from '../wire/schema.ts';
import { errorCode, errorMessage, metadataIndex, topicName } from './common.ts';

export const topicResult = s.object({ name: topicName, error: errorCode, message: errorMessage });
export type TopicResult = s.Infer<typeof topicResult>;

export const topicResultsResponse = s.object({
  topics: s.array(topicResult, { maxItems: limits.topicsPerRequestMax }),
  /** The controller's applied metadata index once the changes were applied (see metadata.ts). */
  metadataIndex: s.optional(metadataIndex),
});
export type TopicResultsResponse = s.Infer<typeof topicResultsResponse>;
