/**
 * The exit codes a script can rely on. They are part of the CLI's interface: documented in
 * README.md and docs/operations.md, and never reused for another meaning.
 */
export const ExitCode = {
  /** The command did what it was asked. */
  ok: 0,
  /** The cluster or the client refused or failed the operation (unknown topic, timeout, ...). */
  failed: 1,
  /** The command line is wrong: unknown command or flag, malformed or invalid value. */
  usage: 2,
  /** `cluster health` found the cluster unhealthy (or could not reach it). */
  unhealthy: 3,
  /**
   * Ctrl-C ended an operation before it finished (a consume or produce stopped by Ctrl-C
   * ends cleanly with 0 instead), or a second Ctrl-C: the shell's 128 + SIGINT.
   */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
