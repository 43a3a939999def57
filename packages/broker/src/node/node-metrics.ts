/**
 * The node's Prometheus metrics beyond request rates and latencies (registered by the
 * router): partitions (log end offset, high watermark, leader), replication health, Raft
 * elections and terms, WAL syncs, host cycles and messages, peer links (peer-metrics.ts); and the process's CPU, memory,
 * event-loop delay and GC pauses (process-metrics.ts).
 */
import { Role } from '@tributary/raft';
import { registerProcessMetrics } from '../metrics/process-metrics.ts';
import type { NodeParts } from './node.ts';
import { registerPeerMetrics } from './peer-metrics.ts';

/** Registers the node's metrics; the returned function stops their samplers. */
export function registerNodeMetrics(parts: NodeParts): () => void {
  const { registry, host, replicas, metadata, controller } = parts;
  const stopProcessMetrics = registerProcessMetrics(registry);
  const logEnd = registry.gauge(
    'tributary_partition_log_end_offset',
    'Next offset of each local partition replica.',
  );
  const logStart = registry.gauge(
    'tributary_partition_log_start_offset',
    'First offset still held by each local replica.',
  );
  const highWatermark = registry.gauge(
    'tributary_partition_high_watermark',
    'Committed end of partitions led here.',
  );
  const leader = registry.gauge(
    'tributary_partition_leader',
    'Leader node of each local replica (0: none known).',
  );
  const term = registry.gauge('tributary_raft_term', 'Raft term of each local group.');
  const isLeader = registry.gauge('tributary_raft_is_leader', '1 when this node leads the group.');
  const campaigns = registry.gauge(
    'tributary_raft_campaigns_total',
    'Elections this node started, per group.',
  );
  const underReplicated = registry.gauge(
    'tributary_under_replicated_partitions',
    'Partitions with a replica down (controller view).',
  );
  const offline = registry.gauge(
    'tributary_offline_partitions',
    'Partitions without a live majority (controller view).',
  );
  const groups = registry.gauge('tributary_raft_groups', 'Raft groups hosted by this node.');
  const syncs = registry.gauge(
    'tributary_raft_wal_syncs_total',
    'WAL fdatasync calls (each covers every group).',
  );
  const cycles = registry.gauge(
    'tributary_raft_host_cycles_total',
    'Processing cycles of the multi-raft host.',
  );
  const fenced = registry.gauge(
    'tributary_fenced_replicas',
    'Local partition replicas stopped by a failure.',
  );
  const restoring = registry.gauge(
    'tributary_replicas_restoring',
    'Local partition replicas installing a snapshot: copying its records from the leader.',
  );
  const setAside = registry.gauge(
    'tributary_damaged_replicas_set_aside_total',
    'Local partition replicas whose damaged data was set aside (under <data>/damaged) to rebuild them from the other replicas.',
  );
  const authFailures = registry.gauge(
    'tributary_peer_auth_failures_total',
    'Peer handshakes refused.',
  );
  const raftMessages = registry.gauge(
    'tributary_raft_messages_total',
    'Raft messages the host sent and received, all groups (direction="sent|received").',
  );
  const metadataIndex = registry.gauge(
    'tributary_metadata_applied_index',
    'Index of the metadata log this node has applied (compare nodes to find one trailing).',
  );
  const metadataReadWaits = registry.gauge(
    'tributary_metadata_read_waits_total',
    'Metadata requests that waited for this node to catch up with the client (outcome="caught_up|stale").',
  );
  const peer = registerPeerMetrics(registry);
  const syncLatency = registry.histogram(
    'tributary_raft_wal_sync_seconds',
    'WAL sync latency (write + fdatasync).',
  );
  parts.syncLatency = syncLatency;

  registry.onCollect(() => {
    let fencedCount = 0;
    let restoringCount = 0;
    for (const replica of replicas.all()) {
      const labels = { topic: replica.topic, partition: replica.partition };
      logEnd.set(labels, replica.log.logEndOffset);
      logStart.set(labels, replica.log.logStartOffset);
      const status = host.group(replica.groupId)?.status();
      leader.set(labels, status?.leader ?? 0);
      if (status?.role === Role.Leader) highWatermark.set(labels, replica.highWatermark);
      else highWatermark.remove(labels);
      if (replica.fenced) fencedCount++;
      if (replica.isRestoring) restoringCount++;
    }
    for (const id of host.groupIds()) {
      const status = host.group(id)?.status();
      if (!status) continue;
      term.set({ group: id }, status.term);
      isLeader.set({ group: id }, status.role === Role.Leader ? 1 : 0);
      campaigns.set({ group: id }, status.counters.campaigns);
    }
    fenced.set({}, fencedCount);
    restoring.set({}, restoringCount);
    setAside.set({}, replicas.damagedSetAside);
    const stats = host.stats();
    groups.set({}, stats.groups);
    syncs.set({}, stats.syncs);
    cycles.set({}, stats.cycles);
    raftMessages.set({ direction: 'sent' }, stats.messagesSent);
    raftMessages.set({ direction: 'received' }, stats.messagesReceived);
    const transport = parts.transport.stats();
    authFailures.set({}, transport.authFailures);
    peer.collect(transport.peers.values());
    metadataIndex.set({}, metadata.state.appliedIndex);
    metadataReadWaits.set({ outcome: 'caught_up' }, metadata.readWaits.caughtUp);
    metadataReadWaits.set({ outcome: 'stale' }, metadata.readWaits.stale);
    if (metadata.isLeader()) {
      let under = 0;
      let down = 0;
      for (const p of metadata.state.partitionsByGroup.values()) {
        const live = p.replicas.filter((id) => controller.isAlive(id)).length;
        if (live * 2 <= p.replicas.length) down++;
        else if (live < p.replicas.length) under++;
      }
      underReplicated.set({}, under);
      offline.set({}, down);
    }
  });
  return stopProcessMetrics;
}
