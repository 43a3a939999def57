/**
 * Lines of input in chunks, as they arrive: every piece of data the input delivers
 * becomes one chunk of the complete lines it finishes (at most `linesMax` per chunk), so a
 * pipe yields thousands of lines per chunk and a person typing yields each line at once.
 * UTF-8 split across pieces is decoded whole; a trailing CR (CRLF input) is dropped; a last
 * line without a newline still counts; reading waits while the caller works (backpressure).
 */
import { StringDecoder } from 'node:string_decoder';
import { assert } from '../errors.ts';

function withoutCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function* split(lines: readonly string[], linesMax: number): Generator<string[]> {
  for (let start = 0; start < lines.length; start += linesMax) {
    yield lines.slice(start, start + linesMax);
  }
}

export async function* lineChunks(
  input: AsyncIterable<Buffer | string>,
  linesMax: number,
): AsyncGenerator<string[], void, undefined> {
  assert(Number.isSafeInteger(linesMax) && linesMax > 0, 'linesMax must be a positive integer');
  const decoder = new StringDecoder('utf8');
  let partial = '';
  for await (const piece of input) {
    const text = partial + (typeof piece === 'string' ? piece : decoder.write(piece));
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    yield* split(lines.map(withoutCarriageReturn), linesMax);
  }
  const last = partial + decoder.end();
  if (last !== '') yield [withoutCarriageReturn(last)];
}
