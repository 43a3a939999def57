/**
 * DescribeConfigs (api 4): every known config of each topic, with its effective value
 * and whether it is the default.
 *
 *   request  = { topics: [string] }
 *   response = { topics: [{ name, error, message?,
 *                            configs: [{ name, value, isDefault: bool }] }] }
 */
import * as limits from '../limits.ts';
import * as s from '../wire/schema.ts';
import { configName, configValue, errorCode, errorMessage, topicName } from './common.ts';

export const describeConfigsRequest = s.object({
  topics: s.array(topicName, { maxItems: limits.topicsPerRequestMax }),
});
export type DescribeConfigsRequest = s.Infer<typeof describeConfigsRequest>;

export const describeConfigsResponse = s.object({
  topics: s.array(
    s.object({
      name: topicName,
      error: errorCode,
      message: errorMessage,
      configs: s.array(s.object({ name: configName, value: configValue, isDefault: s.boolean() }), {
        maxItems: limits.configEntriesMax,
      }),
    }),
    { maxItems: limits.topicsPerRequestMax },
  ),
});
export type DescribeConfigsResponse = s.Infer<typeof describeConfigsResponse>;
