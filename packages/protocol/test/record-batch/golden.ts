/** Reads a golden `.hex` file: hex byte pairs, with `#` comments and blank lines ignored. */
import { readFileSync } from 'node:fs';

export function readGoldenHex(name: string): Uint8Array {
  const text = readFileSync(new URL(`./golden/${name}`, import.meta.url), 'utf8');
  const hex = text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join('')
    .replace(/\s+/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new Error(`${name} is not hex`);
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}
