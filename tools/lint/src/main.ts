/** `npm run lint` step: fails when pure code reaches for clocks, randomness, timers or I/O. */
import { fileURLToPath } from 'node:url';
import { checkAreas, type PureArea } from './purity.ts';

/** The folders the simulator runs as they ship. Grow this list as pure code appears. */
const pureAreas: readonly PureArea[] = [
  { folder: 'packages/raft/src/core' },
  { folder: 'packages/protocol/src', allowedNodeModules: ['node:zlib'] },
  { folder: 'packages/storage/src/format' },
  // The group coordinator: time comes in through nowMs() and tick(), as the simulator needs.
  { folder: 'packages/broker/src/groups' },
];

const root = fileURLToPath(new URL('../../..', import.meta.url));
const violations = checkAreas(root, pureAreas);
for (const v of violations) console.error(`${v.file}:${v.line}: ${v.reason}`);
if (violations.length > 0) {
  console.error(`purity: ${violations.length} violation(s)`);
  process.exit(1);
}
console.log('purity: ok');
