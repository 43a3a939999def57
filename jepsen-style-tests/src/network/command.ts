/** Runs a system command (ip, iptables) and turns failure into a typed error with its output. */
import { execFile, execFileSync } from 'node:child_process';
import { JepsenError } from '../errors.ts';

const commandTimeoutMs = 10_000;

export function runCommand(argv: readonly string[]): Promise<string> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(file!, args, { timeout: commandTimeoutMs }, (error, stdout, stderr) => {
      if (error) {
        reject(
          new JepsenError(
            'command-failed',
            `${argv.join(' ')}: ${stderr.trim() || error.message}`,
            { cause: error },
          ),
        );
      } else resolve(stdout);
    });
  });
}

/** Synchronous variant for exit handlers, where nothing asynchronous runs any more. */
export function runCommandSync(argv: readonly string[]): { ok: boolean; output: string } {
  const [file, ...args] = argv;
  try {
    return {
      ok: true,
      output: execFileSync(file!, args, { timeout: commandTimeoutMs, stdio: 'pipe' }).toString(),
    };
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { ok: false, output: stderr || (error as Error).message };
  }
}
