import test from 'ava';
import { checkSource } from '../src/purity.ts';

const area = { folder: 'x', allowedNodeModules: ['node:zlib'] };

test('flags clocks, randomness, timers and node imports', (t) => {
  const source = [
    "import { readFileSync } from 'node:fs';",
    'const now = Date.now();',
    'const r = Math.random();',
    'setTimeout(() => {}, 10);',
  ].join('\n');
  const lines = checkSource('f.ts', source, area).map((v) => v.line);
  t.deepEqual(lines, [1, 2, 3, 4]);
});

test('passes pure code, allowed modules and comments', (t) => {
  const source = [
    "import { gzipSync } from 'node:zlib';",
    '// Date.now() is what we avoid',
    '/**',
    ' * never call Math.random() here',
    ' */',
    'const x = Math.max(1, 2);',
  ].join('\n');
  t.deepEqual(checkSource('f.ts', source, area), []);
});
