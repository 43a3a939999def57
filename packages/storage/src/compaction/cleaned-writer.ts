/**
 * Writes a segment's compacted copy to its `.cleaned` file: frames batched into large
 * writes, the sparse indexes and summary built as it goes, fdatasync'ed at the end.
 */
import { BatchField, batchFrameHeaderBytes, encodeBatchFrameHeader } from '@tributary/protocol';
import type { FileHandle } from '../fs/file-system.ts';
import { scanChunkBytes } from '../limits.ts';
import { SegmentIndexes } from '../segment/segment-indexes.ts';

export class CleanedWriter {
  readonly indexes: SegmentIndexes;
  private readonly handle: FileHandle;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private writtenBytes = 0;
  sizeBytes = 0;

  constructor(handle: FileHandle, baseOffset: number, indexIntervalBytes: number) {
    this.handle = handle;
    this.indexes = new SegmentIndexes(baseOffset, indexIntervalBytes);
  }

  async add(batch: Uint8Array): Promise<void> {
    const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    const baseOffset = Number(view.getBigInt64(BatchField.baseOffset));
    const maxTimestamp = Number(view.getBigInt64(BatchField.maxTimestamp));
    const frameBytes = batchFrameHeaderBytes + batch.length;
    this.indexes.addBatch(this.sizeBytes, baseOffset, frameBytes, maxTimestamp);
    this.pending.push(encodeBatchFrameHeader(batch), batch);
    this.pendingBytes += frameBytes;
    this.sizeBytes += frameBytes;
    if (this.pendingBytes >= scanChunkBytes) await this.writePending();
  }

  private async writePending(): Promise<void> {
    if (this.pendingBytes === 0) return;
    await this.handle.write(this.pending, this.writtenBytes);
    this.writtenBytes += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
  }

  async finish(): Promise<void> {
    await this.writePending();
    await this.handle.datasync();
    await this.handle.close();
  }

  async abandon(): Promise<void> {
    await this.handle.close();
  }
}
