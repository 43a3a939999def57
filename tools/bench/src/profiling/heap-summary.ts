/**
 * Where a heap-sampling profile (heap-sampling.mjs) says the bytes were allocated: the top
 * allocation sites, each with its two callers, in MB.
 *
 *   npx tsx tools/bench/src/profiling/heap-summary.ts /tmp/heap-sampling-<pid>.json [--top 30]
 *     [--under functionName]   only allocations with that function on the stack
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, under: { type: 'string' } },
});
const file = positionals[0];
if (file === undefined) {
  console.error('usage: heap-summary.ts <profile.json> [--top N] [--under functionName]');
  process.exit(2);
}
const head = (JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode }).head;

const frameName = (node: ProfileNode) => {
  const { functionName, url } = node.callFrame;
  return `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}`;
};

const bytesBySite = new Map<string, number>();
let total = 0;
const visit = (node: ProfileNode, stack: readonly ProfileNode[]) => {
  const path = [...stack, node];
  const counted =
    values.under === undefined || path.some((n) => n.callFrame.functionName === values.under);
  if (node.selfSize > 0 && counted) {
    const site = path.slice(-3).reverse().map(frameName).join(' < ');
    bytesBySite.set(site, (bytesBySite.get(site) ?? 0) + node.selfSize);
    total += node.selfSize;
  }
  for (const child of node.children) visit(child, path);
};
visit(head, []);

console.log(`allocated in all: ${(total / 1e6).toFixed(1)} MB`);
const top = [...bytesBySite].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
for (const [site, bytes] of top) console.log(`${(bytes / 1e6).toFixed(1).padStart(8)} MB  ${site}`);
