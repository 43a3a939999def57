/**
 * The simulator's trace: one fixed-column line per event (tick, node, event, detail), so a
 * run reads like a story and two runs can be compared with diff.
 *
 *    tick  node  event                      detail
 *      42  n3    deliver                    Append 1→3 t2 prev 7/2 [8..9] commit 7
 */
import { type Message, MessageType } from '../core/types.ts';

export type TraceSink = (line: string) => void;

export const traceHeader = `${'tick'.padStart(6)}  ${'node'.padEnd(4)}  ${'event'.padEnd(28)}  detail`;

export function traceLine(tick: number, node: number, event: string, detail: string): string {
  const who = node === 0 ? '--' : `n${node}`;
  return `${String(tick).padStart(6)}  ${who.padEnd(4)}  ${event.replace(/^raft\./, '').padEnd(28)}  ${detail}`;
}

const names: Record<number, string> = {
  [MessageType.PreVote]: 'PreVote',
  [MessageType.PreVoteResponse]: 'PreVoteResp',
  [MessageType.Vote]: 'Vote',
  [MessageType.VoteResponse]: 'VoteResp',
  [MessageType.Append]: 'Append',
  [MessageType.AppendResponse]: 'AppendResp',
  [MessageType.Heartbeat]: 'Heartbeat',
  [MessageType.HeartbeatResponse]: 'HeartbeatResp',
  [MessageType.InstallSnapshot]: 'Snapshot',
  [MessageType.InstallSnapshotResponse]: 'SnapshotResp',
  [MessageType.TimeoutNow]: 'TimeoutNow',
  [MessageType.ReadIndex]: 'ReadIndex',
  [MessageType.ReadIndexResponse]: 'ReadIndexResp',
};

function body(m: Message): string {
  switch (m.type) {
    case MessageType.PreVote:
    case MessageType.Vote:
      return `last ${m.lastLogIndex}/${m.lastLogTerm}${m.transfer ? ' transfer' : ''}`;
    case MessageType.PreVoteResponse:
    case MessageType.VoteResponse:
      return m.granted ? 'granted' : 'refused';
    case MessageType.Append: {
      const first = m.entries[0]?.index;
      const range = first === undefined ? '[]' : `[${first}..${first + m.entries.length - 1}]`;
      return `prev ${m.prevLogIndex}/${m.prevLogTerm} ${range} commit ${m.commit}`;
    }
    case MessageType.AppendResponse:
      return m.success ? `ok ${m.index}` : `reject ${m.index} hint ${m.hintIndex}/${m.hintTerm}`;
    case MessageType.Heartbeat:
      return `commit ${m.commit} ctx ${m.context}`;
    case MessageType.HeartbeatResponse:
      return `ctx ${m.context}`;
    case MessageType.InstallSnapshot:
      return `snap ${m.metadata.index}/${m.metadata.term} @${m.offset}+${m.data.byteLength}${m.done ? ' done' : ''}`;
    case MessageType.InstallSnapshotResponse:
      return `snap ${m.snapshotIndex} next ${m.nextOffset}${m.done ? ' done' : ''}`;
    case MessageType.TimeoutNow:
      return '';
    case MessageType.ReadIndex:
      return `request ${m.requestId}`;
    case MessageType.ReadIndexResponse:
      return `request ${m.requestId} index ${m.index}`;
  }
}

export function describeMessage(m: Message): string {
  return `${names[m.type] ?? m.type} ${m.from}→${m.to} t${m.term} ${body(m)}`.trimEnd();
}
