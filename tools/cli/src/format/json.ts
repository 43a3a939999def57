/**
 * JSON output: one document per line. Offsets are bigint in the client; they print as
 * JSON numbers (every offset is a safe integer), so `jq` reads them as numbers.
 */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    const asNumber = Number(value);
    return Number.isSafeInteger(asNumber) ? asNumber : value.toString();
  }
  return value;
}

export function toJsonLine(value: unknown): string {
  return `${JSON.stringify(value, replacer)}\n`;
}
