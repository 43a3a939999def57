// @tributary/cli: the `tributary` command as a function (for tests and embedding).
export { ExitCode, type ExitCodeValue } from './exit-codes.ts';
export type { Io, OutputStream } from './io.ts';
export { run } from './run.ts';
