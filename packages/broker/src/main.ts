/**
 * The node process. Configuration from flags, environment and an optional JSON file
 * (see `--help`); prints one JSON line `{"event":"ready",...}` on stdout once serving, logs
 * JSON lines on stderr, and stops gracefully on SIGTERM or SIGINT.
 */
import { describeOptions, loadConfig } from './config/load.ts';
import { ConfigError } from './errors.ts';
import { createLogger } from './logger.ts';
import { BrokerNode } from './node/node.ts';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      `usage: tributary-node [--config file.json] [flags]\n\nflags and environment variables:\n${describeOptions()}\n`,
    );
    return;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ argv, env: process.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, fields: { node: config.nodeId } });
  const node = await BrokerNode.start(config, logger);
  process.stdout.write(
    `${JSON.stringify({ event: 'ready', nodeId: config.nodeId, ...node.ports })}\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    node.close().then(
      () => process.exit(0),
      (error) => {
        logger.error('unclean stop', { error: (error as Error).stack });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'error', message: 'node failed to start', error: (error as Error).stack })}\n`,
  );
  process.exit(1);
});
