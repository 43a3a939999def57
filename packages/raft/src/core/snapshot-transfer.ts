/**
 * InstallSnapshot in chunks (Raft §7). The leader streams the latest snapshot image to a
 * follower whose needed entries were compacted, `snapshotChunkBytes` at a time, with as
 * many chunks in flight as the inflight window allows. The follower reassembles chunks in
 * order; chunks that arrive early (the network reorders) wait in a small bounded buffer,
 * anything else is answered with the offset it expects. When the last one is in place it
 * installs the image: the whole log is replaced unless the
 * log already holds the snapshot's last entry. Its final answer (done) leaves only after
 * the snapshot is durable; the leader then probes from just after the snapshot.
 */
import type { Progress } from './progress.ts';
import { ProgressState } from './progress.ts';
import type { Raft } from './raft.ts';
import { maybeCommit, sendAppends } from './replication.ts';
import { maybeSendTimeoutNow, noteTransferProgress } from './transfer.ts';
import {
  type InstallSnapshotRequest,
  type InstallSnapshotResponse,
  MessageType,
  type NodeId,
  type Snapshot,
  type SnapshotMetadata,
} from './types.ts';

export function startSnapshot(r: Raft, to: NodeId, pr: Progress): boolean {
  const snapshot = r.log.snapshot();
  r.check(
    snapshot !== undefined,
    `entries below ${r.log.firstIndex()} are compacted but there is no snapshot`,
  );
  pr.becomeSnapshot({ snapshot, sentOffset: 0, ackedOffset: 0, rewoundAt: -1, emptySent: false });
  r.counters.snapshotsSent++;
  r.trace('raft.snapshot-send', {
    to,
    index: snapshot.metadata.index,
    bytes: snapshot.data.byteLength,
  });
  sendChunks(r, to, pr);
  return true;
}

function sendChunks(r: Raft, to: NodeId, pr: Progress): void {
  const send = pr.snapshotSend;
  if (send === undefined) return;
  const data = send.snapshot.data;
  const size = data.byteLength;
  const chunkBytes = r.options.snapshotChunkBytes;
  const windowBytes = Math.min(
    r.options.inflightAppendsMax * chunkBytes,
    Math.max(r.options.inflightBytesMax, chunkBytes),
  );
  if (size === 0) {
    if (!send.emptySent) {
      send.emptySent = true;
      r.send(chunk(r, to, send.snapshot.metadata, 0, data, true));
    }
    return;
  }
  while (send.sentOffset < size && send.sentOffset - send.ackedOffset < windowBytes) {
    const end = Math.min(size, send.sentOffset + chunkBytes);
    r.send(
      chunk(
        r,
        to,
        send.snapshot.metadata,
        send.sentOffset,
        data.subarray(send.sentOffset, end),
        end === size,
      ),
    );
    send.sentOffset = end;
  }
}

function chunk(
  r: Raft,
  to: NodeId,
  metadata: SnapshotMetadata,
  offset: number,
  data: Uint8Array,
  done: boolean,
): InstallSnapshotRequest {
  return {
    type: MessageType.InstallSnapshot,
    group: r.group,
    from: r.id,
    to,
    term: r.term,
    metadata,
    offset,
    data,
    done,
  };
}

export function handleSnapshotResponse(r: Raft, m: InstallSnapshotResponse): void {
  const pr = r.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  if (m.done) {
    if (m.snapshotIndex > r.log.lastIndex()) {
      r.reject(
        'impossible-index',
        m,
        `installed snapshot ${m.snapshotIndex} beyond our last index`,
      );
      return;
    }
    pr.idleTicks = 0;
    // The follower holds everything up to snapshotIndex durably.
    const grew = pr.maybeUpdate(m.snapshotIndex);
    if (grew) noteTransferProgress(r, m.from);
    if (pr.state === ProgressState.Snapshot && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      r.trace('raft.snapshot-installed', { from: m.from, index: m.snapshotIndex });
    }
    if (grew) maybeCommit(r);
    if (pr.state === ProgressState.Probe) sendAppends(r, m.from);
    maybeSendTimeoutNow(r, m.from);
    return;
  }
  const send = pr.snapshotSend;
  if (pr.state !== ProgressState.Snapshot || send === undefined) return;
  if (m.snapshotIndex !== pr.pendingSnapshot) return;
  if (m.nextOffset > send.snapshot.data.byteLength) {
    r.reject('impossible-index', m, `snapshot offset ${m.nextOffset} beyond the image`);
    return;
  }
  pr.idleTicks = 0;
  if (m.nextOffset > send.ackedOffset) {
    noteTransferProgress(r, m.from);
    send.ackedOffset = m.nextOffset;
    if (send.sentOffset < send.ackedOffset) send.sentOffset = send.ackedOffset;
  } else if (
    m.nextOffset === send.ackedOffset &&
    send.sentOffset > send.ackedOffset &&
    send.rewoundAt !== send.ackedOffset
  ) {
    // The follower is stuck at ackedOffset: a chunk was lost or reordered. Resend from
    // there, once per position (duplicated answers must not multiply the resends).
    send.rewoundAt = send.ackedOffset;
    send.sentOffset = send.ackedOffset;
  }
  sendChunks(r, m.from, pr);
}

// ---- follower side -----------------------------------------------------------------------

interface IncomingSnapshot {
  readonly term: number;
  readonly from: NodeId;
  readonly metadata: SnapshotMetadata;
  readonly chunks: Uint8Array[];
  received: number;
  /** Chunks that arrived ahead of `received`, by offset, with whether each is the last. */
  readonly early: Map<number, { data: Uint8Array; done: boolean }>;
}

/** Early chunks a follower holds per snapshot (beyond them, it asks for a resend). */
export const snapshotEarlyChunksMax = 64;

/** A follower's reassembly buffer for the one snapshot it is receiving. */
export class SnapshotReceiver {
  incoming: IncomingSnapshot | undefined;
}

function respond(r: Raft, m: InstallSnapshotRequest, nextOffset: number, done: boolean): void {
  const response: InstallSnapshotResponse = {
    type: MessageType.InstallSnapshotResponse,
    group: r.group,
    from: r.id,
    to: m.from,
    term: r.term,
    snapshotIndex: m.metadata.index,
    nextOffset,
    done,
  };
  if (done) r.sendAfterPersist(response);
  else r.send(response);
}

function sameSnapshot(incoming: IncomingSnapshot, m: InstallSnapshotRequest): boolean {
  return (
    incoming.term === m.term &&
    incoming.from === m.from &&
    incoming.metadata.index === m.metadata.index &&
    incoming.metadata.term === m.metadata.term
  );
}

export function handleSnapshotChunk(r: Raft, m: InstallSnapshotRequest): void {
  const receiver = r.snapshotReceiver;
  if (m.metadata.index <= r.log.committed) {
    // We hold (committed, hence identical) entries up to and past this snapshot already.
    receiver.incoming = undefined;
    respond(r, m, m.offset + m.data.byteLength, true);
    return;
  }
  let incoming = receiver.incoming;
  if (incoming === undefined || !sameSnapshot(incoming, m)) {
    if (incoming !== undefined && olderThan(m, incoming)) {
      respond(r, m, 0, false); // a late chunk of an image we have moved past
      return;
    }
    incoming = {
      term: m.term,
      from: m.from,
      metadata: m.metadata,
      chunks: [],
      received: 0,
      early: new Map(),
    };
    receiver.incoming = incoming;
  }
  if (m.offset + m.data.byteLength > r.options.snapshotReceiveBytesMax) {
    receiver.incoming = undefined;
    r.reject('snapshot-too-large', m, `image exceeds ${r.options.snapshotReceiveBytesMax} bytes`);
    return;
  }
  if (m.offset > incoming.received) {
    if (incoming.early.size < snapshotEarlyChunksMax)
      incoming.early.set(m.offset, { data: m.data, done: m.done });
    respond(r, m, incoming.received, false);
    return;
  }
  if (m.offset < incoming.received) {
    respond(r, m, incoming.received, false); // a duplicate
    return;
  }
  let done = takeChunk(incoming, m.data, m.done);
  for (let next = incoming.early.get(incoming.received); next !== undefined && !done; ) {
    incoming.early.delete(incoming.received);
    done = takeChunk(incoming, next.data, next.done);
    next = incoming.early.get(incoming.received);
  }
  if (!done) {
    respond(r, m, incoming.received, false);
    return;
  }
  receiver.incoming = undefined;
  restoreSnapshot(r, { metadata: m.metadata, data: concat(incoming.chunks, incoming.received) });
  respond(r, m, incoming.received, true);
}

function olderThan(m: InstallSnapshotRequest, incoming: IncomingSnapshot): boolean {
  if (m.term !== incoming.term) return m.term < incoming.term;
  return m.metadata.index < incoming.metadata.index;
}

/** Appends the chunk at `received`; returns whether it was the last. */
function takeChunk(incoming: IncomingSnapshot, data: Uint8Array, done: boolean): boolean {
  if (data.byteLength > 0) incoming.chunks.push(data);
  incoming.received += data.byteLength;
  return done;
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const data = new Uint8Array(size);
  let at = 0;
  for (const part of chunks) {
    data.set(part, at);
    at += part.byteLength;
  }
  return data;
}

/** Installs a complete snapshot from the leader, unless our log already covers it. */
export function restoreSnapshot(r: Raft, snapshot: Snapshot): void {
  const { index, term } = snapshot.metadata;
  if (!r.log.restore(snapshot)) {
    r.trace('raft.snapshot-fast-forward', { index, snapshotTerm: term, commit: r.log.committed });
    return;
  }
  r.counters.snapshotsRestored++;
  // Nothing of the new log is durable until the host persists the snapshot.
  r.persistedIndex = 0;
  r.config = snapshot.metadata.config;
  r.configIndex = index;
  r.configHistory = [{ index, config: snapshot.metadata.config }];
  r.trace('raft.snapshot-restore', { index, snapshotTerm: term, bytes: snapshot.data.byteLength });
}
