/**
 * Per-peer metrics of the Raft transport: frames, messages and bytes each way, messages
 * dropped, connects, and what waits in the send queue. Frames against messages tells how
 * well sends coalesce (many groups' messages in one frame); a queue that stays full, or
 * drops that grow, mean a peer that cannot keep up.
 */
import type { PeerStats } from '@tributary/raft';
import type { MetricsRegistry } from '../metrics/registry.ts';

export interface PeerMetrics {
  collect(peers: Iterable<PeerStats>): void;
}

export function registerPeerMetrics(registry: MetricsRegistry): PeerMetrics {
  const frames = registry.gauge(
    'tributary_peer_frames_total',
    'Frames on each peer link (direction="sent|received").',
  );
  const messages = registry.gauge(
    'tributary_peer_messages_total',
    'Raft messages on each peer link (direction="sent|received").',
  );
  const bytes = registry.gauge(
    'tributary_peer_bytes_total',
    'Frame bytes on each peer link (direction="sent|received").',
  );
  const dropped = registry.gauge(
    'tributary_peer_dropped_messages_total',
    'Messages not sent or not accepted, by reason (malformed_frame counts frames).',
  );
  const connects = registry.gauge(
    'tributary_peer_connects_total',
    'Authenticated connections made with each peer.',
  );
  const queued = registry.gauge(
    'tributary_peer_queued_bytes',
    'Bytes waiting in the send queue of each peer.',
  );
  return {
    collect(peers) {
      for (const p of peers) {
        const peer = p.peerId;
        frames.set({ peer, direction: 'sent' }, p.framesSent);
        frames.set({ peer, direction: 'received' }, p.framesReceived);
        messages.set({ peer, direction: 'sent' }, p.messagesSent);
        messages.set({ peer, direction: 'received' }, p.messagesReceived);
        bytes.set({ peer, direction: 'sent' }, p.bytesSent);
        bytes.set({ peer, direction: 'received' }, p.bytesReceived);
        dropped.set({ peer, reason: 'queue_full' }, p.droppedQueueFull);
        dropped.set({ peer, reason: 'oversize' }, p.droppedOversize);
        dropped.set({ peer, reason: 'invalid' }, p.invalidMessages + p.misaddressedMessages);
        dropped.set({ peer, reason: 'malformed_frame' }, p.malformedFrames);
        connects.set({ peer }, p.connects);
        queued.set({ peer }, p.queueBytes);
      }
    },
  };
}
