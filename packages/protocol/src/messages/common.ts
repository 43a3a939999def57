/** Field schemas shared by many messages. */
import * as limits from '../limits.ts';
import * as s from '../wire/schema.ts';

export const topicName = s.string({
  minLength: 1,
  maxLength: limits.topicNameLengthMax,
  pattern: limits.topicNamePattern,
});
export const partitionIndex = s.int({ min: 0, max: limits.partitionsPerTopicMax - 1 });
/** A record's position in a partition; -1 where "none" is meaningful. */
export const offset = s.int({ min: -1 });
export const nodeId = s.int({ min: 0, max: 2 ** 31 - 1 });
/** A node id, or -1 for "no node" (no leader known, no coordinator). */
export const nodeIdOrNone = s.int({ min: -1, max: 2 ** 31 - 1 });
export const errorCode = s.int({ min: -1, max: 32767 });
export const errorMessage = s.optional(s.string({ maxLength: limits.messageLengthMax }));
export const timeoutMs = s.int({ min: 0, max: limits.timeoutMsMax });
export const groupId = s.string({ minLength: 1, maxLength: limits.groupIdLengthMax });
export const memberId = s.string({ maxLength: limits.memberIdLengthMax });
export const generationId = s.int({ min: -1, max: 2 ** 31 - 1 });
export const host = s.string({ minLength: 1, maxLength: limits.hostLengthMax });
export const port = s.int({ min: 0, max: 65535 });
export const configName = s.string({ minLength: 1, maxLength: 255 });
export const configValue = s.string({ maxLength: limits.configValueLengthMax });
export const configMap = s.record(configName, configValue, { maxEntries: limits.configEntriesMax });
export const timestampMs = s.int({ min: -1 });
export const leaderHint = s.optional(nodeIdOrNone);
/** A position in the metadata log (Raft group 0): what a broker's copy of metadata includes. */
export const metadataIndex = s.int({ min: 0 });
