/** Parsing of bootstrap addresses: `host:port`, `[v6-host]:port`. */
import { InvalidArgumentError } from '../errors.ts';

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

export function parseBrokerAddress(text: string): BrokerAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new InvalidArgumentError(`broker address "${text}" is not host:port`);
  }
  return { host, port };
}

export function formatBrokerAddress(address: BrokerAddress): string {
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}
