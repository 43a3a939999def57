/**
 * Typed errors of the record batch codec. They extend the package's ProtocolError, so each
 * carries a protocol error code, `retriable` and `cause`, and a broker can answer with it
 * as is.
 */
import { ErrorCode, ProtocolError } from '../errors.ts';

/** The bytes are not a well-formed batch: wrong length, bad CRC, bad varint, bad field. */
export class CorruptBatchError extends ProtocolError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(ErrorCode.CorruptMessage, message, options);
    this.name = 'CorruptBatchError';
  }
}

/** The batch names a codec this build cannot (de)compress. */
export class UnsupportedCompressionError extends ProtocolError {
  readonly compressionType: number;

  constructor(compressionType: number, message?: string) {
    super(
      ErrorCode.UnsupportedCompression,
      message ?? `compression type ${compressionType} is not supported`,
    );
    this.name = 'UnsupportedCompressionError';
    this.compressionType = compressionType;
  }
}

/** A batch (or its decompressed records) is larger than a limit allows. */
export class RecordBatchTooLargeError extends ProtocolError {
  /** The offending size, or null when it is unknown (a decompressor stopped early). */
  readonly sizeBytes: number | null;
  readonly sizeBytesMax: number;

  constructor(sizeBytes: number | null, sizeBytesMax: number, what = 'record batch') {
    const size = sizeBytes === null ? '' : ` of ${sizeBytes} bytes`;
    super(ErrorCode.MessageTooLarge, `${what}${size} exceeds ${sizeBytesMax} bytes`);
    this.name = 'RecordBatchTooLargeError';
    this.sizeBytes = sizeBytes;
    this.sizeBytesMax = sizeBytesMax;
  }
}

/** Records handed to the encoder cannot be represented (unsafe timestamp, too many, …). */
export class InvalidRecordError extends ProtocolError {
  constructor(message: string) {
    super(ErrorCode.InvalidRecord, message);
    this.name = 'InvalidRecordError';
  }
}
