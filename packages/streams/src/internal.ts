/**
 * For tests and tools of sibling packages only (tools/bench measures the engine's
 * per-record cost with them): the engine's task and the commit half it shares with the
 * runtime. Not a stable API.
 */
export { prepareCommit } from './engine/commit.ts';
export { Task } from './engine/task.ts';
