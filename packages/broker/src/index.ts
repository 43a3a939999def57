// The broker: a node process and its configuration.
export { describeOptions, loadConfig, parseVoters } from './config/load.ts';
export type { NodeConfig, VoterAddress } from './config/options.ts';
export { BrokerError, ConfigError, ReplicaFencedError } from './errors.ts';
export { createLogger, type Logger, type LogLevel, silentLogger } from './logger.ts';
export { BrokerNode, type NodePorts } from './node/node.ts';
