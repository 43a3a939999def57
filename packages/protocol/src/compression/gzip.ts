/** gzip for the records section, through node's zlib (the one `node:*` import codecs may use). */
import { gunzipSync, gzipSync } from 'node:zlib';
import { CorruptBatchError, RecordBatchTooLargeError } from '../record-batch/errors.ts';
import { CompressionType } from '../record-batch/layout.ts';
import type { CompressionCodec } from './codec.ts';

function isOutputTooLarge(error: unknown): boolean {
  return (
    error instanceof RangeError &&
    (error as RangeError & { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
  );
}

export const gzipCodec: CompressionCodec = {
  type: CompressionType.gzip,
  compress(records) {
    return gzipSync(records);
  },
  decompress(compressed, outputBytesMax) {
    try {
      return gunzipSync(compressed, { maxOutputLength: outputBytesMax });
    } catch (error) {
      if (isOutputTooLarge(error)) {
        throw new RecordBatchTooLargeError(null, outputBytesMax, 'decompressed records');
      }
      throw new CorruptBatchError('gzip records section does not decompress', { cause: error });
    }
  },
};
