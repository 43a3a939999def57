/**
 * Limits of the durable Raft log, in one place, units last. The relations between them
 * are checked when this module loads.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** A segment rolls once it would grow past this; a single flush may overshoot it. */
export const segmentBytesDefault = 64 * MiB;
export const segmentBytesMin = 4 * KiB;
export const segmentBytesMax = 1024 * MiB;

/**
 * Bytes of written entries kept in memory across all groups (data bytes plus
 * `cachedEntryOverheadBytes` per entry). Entries staged but not yet written are held in
 * addition, until their flush has written them: that part is bounded by what the host
 * stages between two syncs.
 */
export const cacheBytesDefault = 64 * MiB;
export const cacheBytesMin = 0;
/** Rough cost of one cached Entry object beyond its data (object, array slot, view). */
export const cachedEntryOverheadBytes = 64;

/** One entry's data. A record batch (16 MiB at most, see @tributary/protocol) must fit. */
export const entryBytesMax = 64 * MiB;
/** Staged entries of one group are split into records of about this size. */
export const recordBodyBytesTarget = 8 * MiB;
/** The largest record body recovery will believe; larger lengths are damage. */
export const recordBodyBytesMax = entryBytesMax + recordBodyBytesTarget;

/** Members of one configuration (voters, outgoing voters or learners). */
export const configMembersMax = 1024;

/** Decoded snapshots kept in memory for repeated reads (sending chunks to followers). */
export const snapshotCacheBytesMax = 64 * MiB;

/** How many staged bytes a flush writes with one write call at most. */
export const flushWriteBytesMax = 64 * MiB;

if (segmentBytesMin > segmentBytesDefault || segmentBytesDefault > segmentBytesMax) {
  throw new Error('segment size limits are out of order');
}
if (entryBytesMax > recordBodyBytesMax) throw new Error('an entry must fit in a record');
if (recordBodyBytesTarget > recordBodyBytesMax) throw new Error('record target too large');
