/**
 * Every node setting in one table: its type, default, environment variable, flag and a
 * sentence of documentation. Values come from, in rising precedence: the embedded
 * defaults, a JSON config file, the environment, and command-line flags.
 */

export type OptionType = 'integer' | 'string' | 'boolean' | 'voters';

export interface OptionSpec {
  readonly key: string;
  readonly type: OptionType;
  readonly default: unknown;
  readonly description: string;
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: RegExp;
}

/** A controller voter: the initial members of the metadata Raft group. */
export interface VoterAddress {
  readonly nodeId: number;
  /** WebSocket URL of the voter's peer listener, e.g. ws://10.0.0.1:9093. */
  readonly peerUrl: string;
}

const hostPattern = /^[A-Za-z0-9.:_-]+$/;

export const optionSpecs: readonly OptionSpec[] = [
  {
    key: 'nodeId',
    type: 'integer',
    default: 1,
    min: 1,
    max: 2 ** 31 - 1,
    description: "this node's id, unique in the cluster",
  },
  {
    key: 'clusterId',
    type: 'string',
    default: 'tributary-local',
    pattern: /^[A-Za-z0-9._-]{1,64}$/,
    description: 'name of the cluster; nodes of another cluster are refused',
  },
  {
    key: 'dataDir',
    type: 'string',
    default: './data',
    description: 'directory holding the Raft log, partitions and state',
  },
  {
    key: 'clientHost',
    type: 'string',
    default: '127.0.0.1',
    pattern: hostPattern,
    description: 'address the client listener binds',
  },
  {
    key: 'clientPort',
    type: 'integer',
    default: 9092,
    min: 0,
    max: 65535,
    description: 'client listener port (0 picks a free one)',
  },
  {
    key: 'peerHost',
    type: 'string',
    default: '127.0.0.1',
    pattern: hostPattern,
    description: 'address the peer (Raft) listener binds',
  },
  {
    key: 'peerPort',
    type: 'integer',
    default: 9093,
    min: 0,
    max: 65535,
    description: 'peer listener port (0 picks a free one)',
  },
  {
    key: 'metricsHost',
    type: 'string',
    default: '127.0.0.1',
    pattern: hostPattern,
    description: 'address of the HTTP metrics and health endpoint',
  },
  {
    key: 'metricsPort',
    type: 'integer',
    default: 9094,
    min: 0,
    max: 65535,
    description: 'metrics port (0 picks a free one)',
  },
  {
    key: 'advertisedHost',
    type: 'string',
    default: '',
    pattern: /^[A-Za-z0-9.:_-]*$/,
    description: 'host clients are told to connect to (default: clientHost)',
  },
  {
    key: 'advertisedPeerUrl',
    type: 'string',
    default: '',
    description: 'peer URL other nodes dial (default: ws://peerHost:peerPort)',
  },
  {
    key: 'controllerVoters',
    type: 'voters',
    default: [],
    description: 'initial metadata voters as "id@ws://host:port,..." (empty: this node alone)',
  },
  {
    key: 'joinVia',
    type: 'string',
    default: '',
    pattern: /^([A-Za-z0-9.:_-]+:\d+)?(,[A-Za-z0-9.:_-]+:\d+)*$/,
    description:
      'client addresses (host:port,...) of running brokers, for a node joining an existing cluster',
  },
  {
    key: 'clusterSecret',
    type: 'string',
    default: '',
    description: 'shared secret authenticating peer links (required with more than one voter)',
  },
  {
    key: 'tickMs',
    type: 'integer',
    default: 50,
    min: 1,
    max: 10_000,
    description: 'Raft tick interval',
  },
  {
    key: 'electionTicks',
    type: 'integer',
    default: 20,
    min: 2,
    max: 10_000,
    description: 'ticks without a leader before an election (randomized up to twice this)',
  },
  {
    key: 'heartbeatTicks',
    type: 'integer',
    default: 2,
    min: 1,
    max: 10_000,
    description: 'ticks between leader heartbeats',
  },
  {
    key: 'brokerHeartbeatMs',
    type: 'integer',
    default: 500,
    min: 10,
    max: 600_000,
    description: 'interval of broker heartbeats to the controller',
  },
  {
    key: 'brokerSessionMs',
    type: 'integer',
    default: 10_000,
    min: 100,
    max: 3_600_000,
    description: 'a broker is considered dead after this long without a heartbeat',
  },
  {
    key: 'defaultPartitions',
    type: 'integer',
    default: 3,
    min: 1,
    max: 10_000,
    description: 'partitions of a topic created without a count',
  },
  {
    key: 'defaultReplicationFactor',
    type: 'integer',
    default: 3,
    min: 1,
    max: 7,
    description: 'replication factor of a topic created without one (capped at the broker count)',
  },
  {
    key: 'offsetsTopicPartitions',
    type: 'integer',
    default: 8,
    min: 1,
    max: 1000,
    description: 'partitions of the internal __consumer_offsets topic',
  },
  {
    key: 'messageBytesMax',
    type: 'integer',
    default: 1024 * 1024,
    min: 1024,
    max: 16 * 1024 * 1024,
    description: 'largest record batch accepted',
  },
  {
    key: 'checkpointIntervalMs',
    type: 'integer',
    default: 1000,
    min: 10,
    max: 3_600_000,
    description: 'how often partition logs are flushed and their apply checkpoint recorded',
  },
  {
    key: 'leaderBalanceIntervalMs',
    type: 'integer',
    default: 5000,
    min: 0,
    max: 3_600_000,
    description:
      'how often leaders hand partitions back to their preferred replica (0: never, but new partitions still move once)',
  },
  {
    key: 'walSegmentBytes',
    type: 'integer',
    default: 64 * 1024 * 1024,
    min: 64 * 1024,
    max: 1024 * 1024 * 1024,
    description: 'size at which the Raft write-ahead log rolls to a new segment',
  },
  {
    key: 'raftLogRetainEntries',
    type: 'integer',
    default: 10_000,
    min: 0,
    max: 100_000_000,
    description:
      'partition Raft entries kept behind the slowest replica before the log is compacted',
  },
  {
    key: 'metadataSnapshotEntries',
    type: 'integer',
    default: 10_000,
    min: 10,
    max: 100_000_000,
    description: 'metadata log entries kept before the log is snapshotted and compacted',
  },
  {
    key: 'fsync',

    type: 'boolean',
    default: true,
    description: 'fdatasync the Raft log before acknowledging (turn off only for throwaway tests)',
  },
  {
    key: 'logLevel',
    type: 'string',
    default: 'info',
    pattern: /^(debug|info|warn|error)$/,
    description: 'least severe log level printed',
  },
];

export interface NodeConfig {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly dataDir: string;
  readonly clientHost: string;
  readonly clientPort: number;
  readonly peerHost: string;
  readonly peerPort: number;
  readonly metricsHost: string;
  readonly metricsPort: number;
  readonly advertisedHost: string;
  readonly advertisedPeerUrl: string;
  readonly controllerVoters: readonly VoterAddress[];
  readonly clusterSecret: string;
  readonly joinVia: string;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly brokerHeartbeatMs: number;
  readonly brokerSessionMs: number;
  readonly defaultPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly offsetsTopicPartitions: number;
  readonly messageBytesMax: number;
  readonly checkpointIntervalMs: number;
  readonly leaderBalanceIntervalMs: number;
  readonly metadataSnapshotEntries: number;
  readonly raftLogRetainEntries: number;
  readonly walSegmentBytes: number;

  readonly fsync: boolean;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** `nodeId` → `TRIBUTARY_NODE_ID`. */
export function environmentName(key: string): string {
  return `TRIBUTARY_${key.replace(/([A-Z])/g, '_$1').toUpperCase()}`;
}

/** `nodeId` → `--node-id`. */
export function flagName(key: string): string {
  return `--${key.replace(/([A-Z])/g, '-$1').toLowerCase()}`;
}
