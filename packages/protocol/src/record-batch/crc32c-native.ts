/**
 * Loads the native CRC-32C (`@node-rs/crc32`, prebuilt N-API binaries per platform, shipped
 * as optional dependencies of that package) and installs it behind `crc32c` after checking
 * it against the JavaScript implementation. If the module or its binary for this platform
 * cannot be loaded, or gives a wrong answer, `crc32c` stays on the JavaScript
 * implementation, which is correct but about 3 times slower on large batches, and a loud
 * line on stderr says so and why: a slow broker must not be a mystery.
 */
import { crc32cJavaScript, installNativeCrc32c, type NativeCrc32c } from './crc32c.ts';

/** Checks the native function on the standard vector and on seeded, unaligned ranges. */
function nativeAgreesWithJavaScript(native: NativeCrc32c): boolean {
  if (native(new TextEncoder().encode('123456789'), 0) !== 0xe3069283) return false;
  const sample = new Uint8Array(4099);
  for (let at = 0; at < sample.length; at++) sample[at] = (at * 131 + 7) & 0xff;
  for (const [start, end] of [
    [0, 4099],
    [3, 4001],
    [21, 300],
  ] as const) {
    const range = sample.subarray(start, end);
    const seed = crc32cJavaScript(sample, 0, start);
    if (native(range, seed) !== crc32cJavaScript(sample, start, end, seed)) return false;
  }
  return true;
}

function reportFallback(reason: string): void {
  console.error(
    `[@tributary/protocol] WARNING: native CRC-32C (@node-rs/crc32) unavailable, using the ` +
      `JavaScript CRC-32C (about 3x slower on large batches): ${reason}`,
  );
}

async function importNative(): Promise<NativeCrc32c> {
  const loaded: { crc32c?: unknown; default?: { crc32c?: unknown } } = await import(
    '@node-rs/crc32'
  );
  const native = loaded.crc32c ?? loaded.default?.crc32c;
  if (typeof native !== 'function') throw new Error('the module exports no crc32c function');
  return native as NativeCrc32c;
}

/** Installs the native CRC-32C if it loads and checks out; never throws. */
export async function loadNativeCrc32c(): Promise<void> {
  let native: NativeCrc32c;
  try {
    native = await importNative();
  } catch (error) {
    reportFallback(error instanceof Error ? error.message : String(error));
    return;
  }
  if (!nativeAgreesWithJavaScript(native)) {
    reportFallback('it disagrees with the JavaScript implementation on the check vectors');
    return;
  }
  installNativeCrc32c(native);
}
