/**
 * The `tributary` process: real streams and signals around `run`. Ctrl-C or SIGTERM asks
 * the running command to stop cleanly; a second Ctrl-C exits at once (130). A closed
 * stdout (`| head`) also stops the command, quietly. The exit code is set, not forced, so
 * buffered output is flushed; a lingering handle cannot keep the process past a grace period.
 */
import { ExitCode } from './exit-codes.ts';
import { exitGraceMs } from './limits.ts';
import { run } from './run.ts';

const interrupt = new AbortController();

function onSignal(): void {
  if (interrupt.signal.aborted) process.exit(ExitCode.interrupted);
  interrupt.abort(new Error('interrupted'));
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') {
    process.stderr.write(`tributary: cannot write the output: ${error.message}\n`);
    process.exitCode = ExitCode.failed;
  }
  interrupt.abort(new Error('stdout closed'));
});

const exitCode = await run(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  interrupt: interrupt.signal,
});
if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = exitCode;
setTimeout(() => process.exit(), exitGraceMs).unref();
