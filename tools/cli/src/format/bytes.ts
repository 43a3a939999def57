/**
 * How keys, values and header values are shown: as UTF-8 text (default; invalid sequences
 * become U+FFFD), base64 or hex (`--encoding`), so binary data survives a text pipe.
 */
import { UsageError } from '../errors.ts';

export const encodings = ['utf8', 'base64', 'hex'] as const;
export type Encoding = (typeof encodings)[number];

export function parseEncoding(text: string): Encoding {
  const found = encodings.find((e) => e === text);
  if (found === undefined) {
    throw new UsageError(`--encoding must be one of ${encodings.join(', ')}, got '${text}'`);
  }
  return found;
}

export function showBytes(bytes: Uint8Array | null, encoding: Encoding): string | null {
  if (bytes === null) return null;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(encoding);
}
