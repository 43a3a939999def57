// For tests, tools and sibling packages only: the parts under the public API.
export { CallScope, withScope } from './abort.ts';
export { targetAssignment } from './group/assignors/cooperative-sticky.ts';
export * from './group/protocol-metadata.ts';
export { Cluster, type ClusterOptions } from './net/cluster.ts';
export { Connection, type ConnectionOptions } from './net/connection.ts';
export { MetadataCache } from './net/metadata-cache.ts';

import type { Consumer } from './consumer/consumer.ts';

/** Stops a consumer as a crash would (no commit, no LeaveGroup), for fault tests. */
export function abandonConsumer(consumer: Consumer): Promise<void> {
  return consumer.abandon();
}

/** The messages of a fetched chunk, as eachBatch gets them (for the decode benchmark). */
export { messageListOf as decodeFetchedMessages } from './consumer/message.ts';
