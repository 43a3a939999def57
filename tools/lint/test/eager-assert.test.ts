import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The lines the eager-assert-message plugin flags in `source`, run through the project's Biome config. */
function flaggedLines(source: string): number[] {
  const folder = mkdtempSync(join(tmpdir(), 'tributary-lint-'));
  try {
    const file = join(folder, 'sample.ts');
    writeFileSync(file, source);
    const run = spawnSync(
      join(root, 'node_modules/.bin/biome'),
      ['lint', `--config-path=${join(root, 'biome.json')}`, '--vcs-enabled=false', file],
      { encoding: 'utf8' },
    );
    const output = `${run.stdout}${run.stderr}`;
    return [...output.matchAll(/sample\.ts:(\d+):\d+ plugin/g)].map((m) => Number(m[1]));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

// The samples are .txt so that the project's own lint does not check them.
const fixture = (name: string) =>
  readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

test('an assertion whose message interpolates values is flagged, one line or many', (t) => {
  t.deepEqual(flaggedLines(fixture('eager-assert-flagged.ts.txt')), [3, 6]);
});

test('a constant message, or a message built only when the check fails, passes', (t) => {
  t.deepEqual(flaggedLines(fixture('eager-assert-passing.ts.txt')), []);
});
