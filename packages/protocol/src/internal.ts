// For tests and benchmarks of sibling packages only; not part of the public API.
export {
  crc32cJavaScript,
  crc32cReference,
  nativeCrc32cBytesMin,
} from './record-batch/crc32c.ts';
