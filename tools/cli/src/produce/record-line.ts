/**
 * One line of `topic produce` input → one record. Without `--key-delimiter` the whole line
 * is the value and the record has no key. With it, the line splits at the delimiter's
 * first occurrence: the text before is the key (possibly empty: a zero-length key), the
 * rest the value; a line without the delimiter is an error. A value is never null unless
 * `--tombstone` is given: then an empty value is a tombstone (null), which deletes its key
 * on a compacted topic.
 */
import { OperationError } from '../errors.ts';

export interface LineOptions {
  readonly keyDelimiter: string | undefined;
  readonly tombstone: boolean;
}

export interface RecordText {
  readonly key: string | null;
  readonly value: string | null;
}

export function parseRecordLine(
  line: string,
  lineNumber: number,
  options: LineOptions,
): RecordText {
  let key: string | null = null;
  let value = line;
  if (options.keyDelimiter !== undefined) {
    const at = line.indexOf(options.keyDelimiter);
    if (at < 0) {
      throw new OperationError(
        `stdin line ${lineNumber} has no key delimiter '${options.keyDelimiter}'`,
      );
    }
    key = line.slice(0, at);
    value = line.slice(at + options.keyDelimiter.length);
  }
  return { key, value: options.tombstone && value === '' ? null : value };
}

/** `\t` typed on a command line means a tab in a delimiter (lines never hold newlines). */
export function unescapeDelimiter(text: string): string {
  return text.replace(/\\t/g, '\t');
}
