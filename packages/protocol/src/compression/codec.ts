/**
 * Compression of a batch's records section. A codec compresses the whole block of encoded
 * records at once, as Kafka does. Only `none` and `gzip` (node's zlib) ship today; snappy,
 * lz4 and zstd have their attribute values reserved and can be plugged in by passing a
 * codec table that includes them. Asking for a codec the table lacks raises
 * UnsupportedCompressionError, never a generic failure.
 */
import { UnsupportedCompressionError } from '../record-batch/errors.ts';
import { CompressionType, compressionNames, isCompressionType } from '../record-batch/layout.ts';
import { gzipCodec } from './gzip.ts';

export interface CompressionCodec {
  readonly type: CompressionType;
  compress(records: Uint8Array): Uint8Array;
  /** Raises RecordBatchTooLargeError past `outputBytesMax`, CorruptBatchError on bad input. */
  decompress(compressed: Uint8Array, outputBytesMax: number): Uint8Array;
}

export type CompressionCodecTable = Readonly<Partial<Record<CompressionType, CompressionCodec>>>;

const identityCodec: CompressionCodec = {
  type: CompressionType.none,
  compress: (records) => records,
  decompress: (compressed) => compressed,
};

export const defaultCompressionCodecs: CompressionCodecTable = {
  [CompressionType.none]: identityCodec,
  [CompressionType.gzip]: gzipCodec,
};

export function compressionCodecFor(
  type: number,
  codecs: CompressionCodecTable = defaultCompressionCodecs,
): CompressionCodec {
  if (!isCompressionType(type)) throw new UnsupportedCompressionError(type);
  const codec = codecs[type];
  if (codec === undefined) {
    throw new UnsupportedCompressionError(
      type,
      `compression ${compressionNames[type]} (${type}) is not available in this build`,
    );
  }
  return codec;
}
