/**
 * Defaults and bounds of the Raft core, in one place, units last. Relations between them
 * are checked at load (below) and again for every RawNode's options (options.ts).
 */

export const electionTicksDefault = 10;
export const heartbeatTicksDefault = 1;
export const electionTicksMax = 1_000_000;
/** Appends a leader may have in flight to one follower (replicate state). */
export const inflightAppendsMaxDefault = 256;
export const inflightBytesMaxDefault = 32 * 1024 * 1024;
/** Bytes of entry data in one Append message (at least one entry is always sent). */
export const appendBytesMaxDefault = 1024 * 1024;
export const snapshotChunkBytesDefault = 1024 * 1024;
/** A follower refuses to reassemble a snapshot image larger than this. */
export const snapshotReceiveBytesMaxDefault = 1024 * 1024 * 1024;
/** Proposed but not yet committed entry bytes a leader accepts before refusing proposals. */
export const uncommittedBytesMaxDefault = 64 * 1024 * 1024;
/** Committed entry bytes handed to the host in one Ready (at least one entry). */
export const committedBytesPerReadyMaxDefault = 64 * 1024 * 1024;
/** A learner is promoted only when it is at most this many entries behind the leader. */
export const learnerCatchUpLagMaxDefault = 1024;
/** Read-index requests a leader holds at once (waiting for their quorum round). */
export const readRequestsPendingMax = 65_536;
/** Proposals in one `propose` call. */
export const proposalEntriesMax = 1_000_000;

if (heartbeatTicksDefault >= electionTicksDefault) {
  throw new Error('limits: heartbeatTicksDefault must be below electionTicksDefault');
}
if (appendBytesMaxDefault > inflightBytesMaxDefault) {
  throw new Error('limits: appendBytesMaxDefault must fit in inflightBytesMaxDefault');
}
