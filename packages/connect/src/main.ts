/**
 * `tsx packages/connect/src/main.ts <worker.json>`: runs a connect worker (standalone or
 * distributed, as the file says) until SIGTERM or SIGINT, then stops it gracefully (tasks
 * store their positions and commit their offsets). Prints one line `READY <json>` on
 * stdout once the REST API and the connectors are up.
 */
import { readFileSync } from 'node:fs';
import { parseWorkerConfig } from './config/worker-config.ts';
import { ConfigError, errorMessage } from './errors.ts';
import { startConnectWorker } from './runtime/connect-worker.ts';
import { createLogger } from './runtime/logger.ts';

const usage = 'usage: tsx packages/connect/src/main.ts <worker-config.json>';

async function main(argv: readonly string[]): Promise<number> {
  const [path, ...rest] = argv;
  if (path === undefined || rest.length > 0 || path === '--help') {
    console.error(usage);
    return path === '--help' ? 0 : 2;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    console.error(`cannot read ${path}: ${errorMessage(error)}`);
    return 2;
  }
  const config = parseWorkerConfig(raw);
  const log = createLogger(config.logLevel);
  const worker = await startConnectWorker(config, { log });
  console.log(
    `READY ${JSON.stringify({ rest: worker.restUrl, workerId: worker.workerId, mode: config.mode })}`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await worker.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof ConfigError
        ? error.message
        : `connect worker failed: ${errorMessage(error)}`,
    );
    process.exit(1);
  },
);
