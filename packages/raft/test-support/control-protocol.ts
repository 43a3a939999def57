/**
 * The control channel of a node process: JSON lines on its stdin (requests) and stdout
 * (replies and events). Logs go to stderr, never to stdout.
 *
 *   request := {"id": n, "op": "status"}
 *            | {"id": n, "op": "propose", "group": g, "ids": [id, ...], "size": bytes}
 *            | {"id": n, "op": "set-peers", "peers": {"<nodeId>": "ws://host:port", ...}}
 *            | {"id": n, "op": "stats", "reset": bool}
 *            | {"id": n, "op": "repair", "group": g, "votingDisabledUntilIndex": i}
 *            | {"id": n, "op": "transfer-leader", "group": g, "to": nodeId}
 *            | {"id": n, "op": "shutdown"}
 *   reply   := {"re": n, "ok": true, ...}  |  {"re": n, "ok": false, "code": c, "message": m}
 *   event   := {"ev": "ready", ...}  |  {"ev": "fatal", "message": m}
 *
 * A propose request proposes each id as its own entry (the host batches whatever arrives
 * between two processing cycles) and is answered once every id is settled: `acked` after
 * the entry committed and was applied on this node, `superseded` when another entry took
 * its index, `refused` when the leader did not take it (with the reason), `unknown` when
 * it did not settle within the node's proposal timeout.
 */
import type { HostStats } from '../src/host/raft-host.ts';
import type { NodeDiagnostics } from './diagnostics.ts';
import { NodeProcessError } from './errors.ts';
import type { HistogramCounts } from './latency-histogram.ts';
import { proposalPayloadBytesMax, proposalPayloadBytesMin } from './proposal-payload.ts';

/** Ids in one propose request, at most. */
export const proposeIdsMax = 10_000;
/** A control line longer than this is refused unread. */
export const controlLineBytesMax = 1024 * 1024;

export type ControlRequest =
  | { readonly id: number; readonly op: 'status' }
  | {
      readonly id: number;
      readonly op: 'propose';
      readonly group: number;
      readonly ids: readonly number[];
      readonly size: number;
    }
  | { readonly id: number; readonly op: 'set-peers'; readonly peers: Record<string, string> }
  | { readonly id: number; readonly op: 'stats'; readonly reset: boolean }
  | {
      readonly id: number;
      readonly op: 'repair';
      readonly group: number;
      readonly votingDisabledUntilIndex: number;
    }
  | {
      readonly id: number;
      readonly op: 'transfer-leader';
      readonly group: number;
      readonly to: number;
    }
  | { readonly id: number; readonly op: 'shutdown' };

export interface ProposeReply {
  readonly acked: number[];
  readonly superseded: number[];
  readonly refused: number[];
  readonly unknown: number[];
  /** Why ids were refused (the first refusal), e.g. not-leader with the known leader. */
  readonly refusal?: { readonly code: string; readonly leader: number };
  /** The index of the last acknowledged id, 0 if none. */
  readonly indexLast: number;
}

export interface GroupReport {
  readonly role: string;
  readonly leader: number;
  readonly term: number;
  readonly commit: number;
  readonly lastIndex: number;
  /** The state machine's applied index (what the applied-entries file holds, at least). */
  readonly applied: number;
  readonly votingDisabledUntilIndex: number;
  readonly pending: number;
}

export interface PeerReport {
  readonly state: string;
  readonly connects: number;
  readonly malformedFrames: number;
  readonly invalidMessages: number;
  readonly misaddressedMessages: number;
  readonly messagesReceived: number;
  readonly messagesSent: number;
  readonly framesSent: number;
  /** Messages dropped because the peer's send queue was full (oldest first). */
  readonly droppedQueueFull: number;
}

export interface NodeStatus {
  readonly nodeId: number;
  readonly pid: number;
  readonly peerPort: number;
  readonly groups: Record<string, GroupReport>;
  /** Groups the WAL fenced at open (not started), with the reason. */
  readonly fenced: Record<string, string>;
  readonly transport: {
    readonly authFailures: number;
    readonly unauthenticatedRejected: number;
    readonly oversizeFramesReceived: number;
    readonly peers: Record<string, PeerReport>;
  };
  readonly host: HostStats;
  readonly hostFailure: string | undefined;
}

export interface NodeStats {
  /** Since the last reset. */
  readonly elapsedMs: number;
  readonly dataEntriesApplied: number;
  readonly proposalsAcked: number;
  /** Commit latency of this node's acknowledged proposals (propose to apply here), ms. */
  readonly latency: HistogramCounts;
  /** How long the host waited for each WAL sync, ms. */
  readonly syncLatency: HistogramCounts;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  readonly syncs: number;
  readonly cycles: number;
  readonly walFlushes: number;
  readonly walSegmentSyncs: number;
  readonly walAcknowledgedSyncs: number;
  readonly walBytesWritten: number;
  /** Entries staged into the WAL (each once, whichever leader sent it how often). */
  readonly walEntriesStaged: number;
  /** Entries records read back from disk (entries no longer in the WAL's entry cache). */
  readonly walDiskReads: number;
  /** The WAL entry cache's size when the stats were taken, bytes. */
  readonly walCacheBytes: number;
  /** Sent to all peers: wire bytes, messages, frames, Append entries (resends count). */
  readonly peerBytesSent: number;
  readonly peerMessagesSent: number;
  readonly peerFramesSent: number;
  readonly peerEntriesSent: number;
  readonly peerDroppedQueueFull: number;
  readonly appendRejectionsReceived: number;
  /** Leaders' appends without entries sent to silent followers (see the core's replication.ts). */
  readonly tailProbesSent: number;
  /** Leaders' followers sent back to probe (a refused append, a stalled snapshot). */
  readonly replicationRestarts: number;
  /** Per message type, file operation timings, event-loop delay (diagnostics.ts). */
  readonly diagnostics: NodeDiagnostics;
}

export interface ReadyEvent {
  readonly ev: 'ready';
  readonly nodeId: number;
  readonly pid: number;
  readonly peerPort: number;
  readonly fenced: Record<string, string>;
  /** Groups whose voting recovery disabled, until their log reaches the index. */
  readonly votingDisabled: Record<string, number>;
}

function isSafeNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function bad(message: string): NodeProcessError {
  return new NodeProcessError('BAD_REQUEST', message);
}

function checkPropose(value: Record<string, unknown>): NodeProcessError | undefined {
  const { group, ids, size } = value;
  if (!isSafeNonNegative(group)) return bad('propose: group must be a safe integer >= 0');
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > proposeIdsMax)
    return bad(`propose: ids must be 1 to ${proposeIdsMax} numbers`);
  if (!ids.every(isSafeNonNegative)) return bad('propose: every id is a safe integer >= 0');
  if (!isSafeNonNegative(size) || size < proposalPayloadBytesMin || size > proposalPayloadBytesMax)
    return bad(`propose: size must be ${proposalPayloadBytesMin} to ${proposalPayloadBytesMax}`);
  return undefined;
}

function checkFields(value: Record<string, unknown>): NodeProcessError | undefined {
  switch (value.op) {
    case 'status':
    case 'shutdown':
      return undefined;
    case 'propose':
      return checkPropose(value);
    case 'set-peers': {
      const peers = value.peers;
      if (typeof peers !== 'object' || peers === null || Array.isArray(peers))
        return bad('set-peers: peers must be an object');
      for (const [id, url] of Object.entries(peers)) {
        if (!/^[1-9][0-9]*$/.test(id)) return bad(`set-peers: bad node id ${id}`);
        if (typeof url !== 'string' || !url.startsWith('ws://'))
          return bad(`set-peers: bad url for ${id}`);
      }
      return undefined;
    }
    case 'stats':
      return typeof value.reset === 'boolean' ? undefined : bad('stats: reset must be a boolean');
    case 'repair':
      return isSafeNonNegative(value.group) && isSafeNonNegative(value.votingDisabledUntilIndex)
        ? undefined
        : bad('repair: group and votingDisabledUntilIndex must be safe integers >= 0');
    case 'transfer-leader':
      return isSafeNonNegative(value.group) && isSafeNonNegative(value.to) && value.to > 0
        ? undefined
        : bad('transfer-leader: group and to must be safe integers, to >= 1');
    default:
      return bad(`unknown op ${JSON.stringify(value.op)}`);
  }
}

/** Parses one control line; a typed error (with the request id, if readable) otherwise. */
export function parseRequest(
  line: string,
): ControlRequest | { readonly error: NodeProcessError; readonly id: number | undefined } {
  if (line.length > controlLineBytesMax)
    return { error: bad('control line too long'), id: undefined };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (cause) {
    return { error: new NodeProcessError('BAD_REQUEST', 'not JSON', { cause }), id: undefined };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { error: bad('a request is a JSON object'), id: undefined };
  const record = value as Record<string, unknown>;
  const id = isSafeNonNegative(record.id) ? record.id : undefined;
  if (id === undefined) return { error: bad('id must be a safe integer >= 0'), id: undefined };
  const error = checkFields(record);
  if (error !== undefined) return { error, id };
  return record as unknown as ControlRequest;
}
