/**
 * The storage package's limits, in one place, with their relations checked at load.
 * Configuration values (segment size, retention, …) are validated against these bounds.
 */
import { batchFrameHeaderBytes, recordBatchBytesMax } from '@tributary/protocol';

/** Index entries hold 32-bit positions; Kafka caps segments at 2 GiB for the same reason. */
export const segmentBytesMax = 1024 * 1024 * 1024;
export const segmentBytesMin = 1024;
/** Relative offsets in the index are 32-bit; a segment rolls before it spans more. */
export const segmentOffsetSpanMax = 2 ** 31 - 1;
export const indexIntervalBytesMin = 1;
/** The smallest encoded record (seven one-byte fields): bounds records per batch. */
export const recordBytesMin = 7;
export const compactionKeysMaxLimit = 2 ** 26;
/** Closed segments whose file handle and sparse indexes stay loaded at once. */
export const loadedClosedSegmentsMax = 16;
/** Most buffers handed to one writev (POSIX IOV_MAX is at least 1024). */
export const writevBuffersMax = 1024;
/** Reads and scans fetch at least this much at a time. */
export const readChunkBytesMin = 64 * 1024;
/** Recovery and compaction scan segments this much at a time (plus one batch). */
export const scanChunkBytes = 1024 * 1024;
/** Idle read buffers one pool keeps for reuse (one pool serves every log of a process). */
export const readBufferPoolBytesMax = 16 * 1024 * 1024;

export { batchFrameHeaderBytes, recordBatchBytesMax };

if (segmentBytesMin >= segmentBytesMax) throw new Error('segmentBytesMin < segmentBytesMax');
if (segmentBytesMax > 2 ** 31 - 1) throw new Error('positions must fit an int32');
if (readChunkBytesMin > scanChunkBytes) throw new Error('read chunks fit in scan chunks');
if (readBufferPoolBytesMax < scanChunkBytes) throw new Error('the read pool holds a 1 MiB read');
