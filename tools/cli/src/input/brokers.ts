/** The bootstrap list: `--brokers`, else `TRIBUTARY_BROKERS`, else the local default. */
import { UsageError } from '../errors.ts';
import { brokersDefault, brokersEnvironmentVariable } from '../limits.ts';

const brokerPattern = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function parseBrokerList(text: string, source: string): string[] {
  const brokers = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (brokers.length === 0) throw new UsageError(`${source} names no broker`);
  for (const broker of brokers) {
    const port = Number(brokerPattern.exec(broker)?.[1]);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new UsageError(`${source}: '${broker}' is not host:port`);
    }
  }
  return brokers;
}

export function resolveBrokers(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  if (flag !== undefined) return parseBrokerList(flag, '--brokers');
  const fromEnv = env[brokersEnvironmentVariable];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return parseBrokerList(fromEnv, brokersEnvironmentVariable);
  }
  return [brokersDefault];
}
