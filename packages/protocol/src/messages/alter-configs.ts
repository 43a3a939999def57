/**
 * AlterConfigs (api 5), incremental: `set` overrides, `delete` returns names to defaults.
 *
 *   request  = { topics: [{ name, set: {string: string}, delete: [string] }], validateOnly }
 *   response = { topics: [{ name, error, message? }] }
 */
import * as limits from '../limits.ts';
import * as s from '../wire/schema.ts';
import { configMap, configName, topicName } from './common.ts';

export type { TopicResultsResponse as AlterConfigsResponse } from './topic-results.ts';
export { topicResultsResponse as alterConfigsResponse } from './topic-results.ts';

export const alterConfigsRequest = s.object({
  topics: s.array(
    s.object({
      name: topicName,
      set: configMap,
      delete: s.array(configName, { maxItems: limits.configEntriesMax }),
    }),
    { maxItems: limits.topicsPerRequestMax },
  ),
  validateOnly: s.boolean(),
});
export type AlterConfigsRequest = s.Infer<typeof alterConfigsRequest>;
