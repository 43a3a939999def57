/**
 * A throwaway PostgreSQL server for tests, benchmarks and the runnable example: initdb
 * into a temporary directory, start on a free port on 127.0.0.1 (its unix socket in that
 * directory too), stop and delete it afterwards. As root the server runs as the `postgres`
 * user (PostgreSQL refuses to run as root). Binaries are looked for in
 * /usr/lib/postgresql/<version>/bin (Debian's `postgresql` package), then on the PATH.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const commandTimeoutMs = 180_000;

export interface PostgresBinaries {
  readonly initdb: string;
  readonly pgCtl: string;
}

export interface ThrowawayPostgres {
  readonly connectionString: string;
  readonly port: number;
  readonly dataDir: string;
  stop(): Promise<void>;
}

export function findPostgresBinaries(): PostgresBinaries | undefined {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const dirs = [
    ...versions.map((v) => join(root, v, 'bin')),
    ...(process.env.PATH ?? '').split(':'),
  ];
  for (const dir of dirs) {
    const initdb = join(dir, 'initdb');
    const pgCtl = join(dir, 'pg_ctl');
    if (dir !== '' && existsSync(initdb) && existsSync(pgCtl)) return { initdb, pgCtl };
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a PostgreSQL binary, as the postgres user when we are root. */
async function runAsOwner(binary: string, args: readonly string[]): Promise<void> {
  const [command, argv] = isRoot()
    ? ['runuser', ['-u', 'postgres', '--', binary, ...args]]
    : [binary, args];
  await run(command, argv, { timeout: commandTimeoutMs });
}

export async function startThrowawayPostgres(
  options: { durable?: boolean } = {},
): Promise<ThrowawayPostgres> {
  const binaries = findPostgresBinaries();
  if (binaries === undefined)
    throw new Error(
      'no PostgreSQL binaries (initdb, pg_ctl) found; install the postgresql package',
    );
  const dir = mkdtempSync(join(tmpdir(), 'tributary-pg-'));
  const dataDir = join(dir, 'data');
  try {
    if (isRoot()) await run('chown', ['postgres:', dir]);
    await runAsOwner(binaries.initdb, [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
      '--no-instructions',
    ]);
    const port = await freePort();
    const settings = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c max_connections=50',
      ...(options.durable
        ? []
        : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ];
    await runAsOwner(binaries.pgCtl, [
      '-D',
      dataDir,
      '-o',
      settings.join(' '),
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '120',
      'start',
    ]);
    let stopped = false;
    return {
      connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres`,
      port,
      dataDir,
      async stop() {
        if (stopped) return;
        stopped = true;
        await runAsOwner(binaries.pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(
          () => {},
        );
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await runAsOwner(binaries.pgCtl, ['-D', dataDir, '-m', 'immediate', 'stop']).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
