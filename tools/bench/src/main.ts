/**
 * `npm run bench -- <name> [args]`: runs tools/bench/src/<name>.ts with the given
 * arguments; without a name, lists the benchmarks.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Modules of this folder that the benchmarks share, not benchmarks themselves. */
const sharedModules = new Set(['main.ts', 'args.ts', 'client-bench-cluster.ts']);
const benchmarks = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !sharedModules.has(f) && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || !benchmarks.includes(name)) {
  if (name && name !== '--help') console.error(`no benchmark "${name}"`);
  console.log(
    `usage: npm run bench -- <name> [args]\nbenchmarks:\n${benchmarks.map((b) => `  ${b}`).join('\n')}`,
  );
  process.exitCode = name && name !== '--help' ? 2 : 0;
} else {
  process.argv = [process.argv[0] as string, `${here}${name}.ts`, ...rest];
  await import(`./${name}.ts`);
}
