/**
 * Loads a NodeConfig from defaults, a JSON file, the environment and flags, checking every
 * value and the relations between them. Any problem is a ConfigError naming the key, where
 * the value came from and what is wrong; nothing is guessed.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import {
  environmentName,
  flagName,
  type NodeConfig,
  type OptionSpec,
  optionSpecs,
  type VoterAddress,
} from './options.ts';

export interface ConfigSources {
  /** Command-line arguments (without the program name). `--config <file>` names a file. */
  readonly argv?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Values set by a program (the launcher), applied after the file and before env. */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

const specsByKey = new Map(optionSpecs.map((spec) => [spec.key, spec]));
const specsByFlag = new Map(optionSpecs.map((spec) => [flagName(spec.key), spec]));

export function parseVoters(text: string, source: string): VoterAddress[] {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const match = /^(\d+)@(wss?:\/\/[A-Za-z0-9.:_-]+)$/.exec(part.trim());
    if (!match)
      throw new ConfigError('controllerVoters', source, `"${part}" is not id@ws://host:port`);
    return { nodeId: Number(match[1]), peerUrl: match[2] as string };
  });
}

function coerce(spec: OptionSpec, raw: unknown, source: string): unknown {
  const bad = (problem: string) => new ConfigError(spec.key, source, problem);
  switch (spec.type) {
    case 'integer': {
      const value = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
      if (typeof value !== 'number' || !Number.isSafeInteger(value))
        throw bad(`"${String(raw)}" is not an integer`);
      if (spec.min !== undefined && value < spec.min) throw bad(`${value} is below ${spec.min}`);
      if (spec.max !== undefined && value > spec.max) throw bad(`${value} is above ${spec.max}`);
      return value;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw bad(`"${String(raw)}" is not true or false`);
    }
    case 'string': {
      if (typeof raw !== 'string') throw bad(`${JSON.stringify(raw)} is not a string`);
      if (spec.pattern && !spec.pattern.test(raw))
        throw bad(`"${raw}" does not match ${spec.pattern}`);
      return raw;
    }
    case 'voters': {
      if (typeof raw === 'string') return parseVoters(raw, source);
      if (!Array.isArray(raw)) throw bad('expected "id@ws://host:port,..." or a list');
      return raw.map((v) => {
        if (typeof v === 'string') return parseVoters(v, source)[0];
        const voter = v as Partial<VoterAddress>;
        if (!Number.isSafeInteger(voter?.nodeId) || typeof voter?.peerUrl !== 'string') {
          throw bad(`${JSON.stringify(v)} is not { nodeId, peerUrl }`);
        }
        return { nodeId: voter.nodeId, peerUrl: voter.peerUrl };
      });
    }
  }
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError('config', path, `cannot read file (${(cause as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError('config', path, `not valid JSON (${(cause as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('config', path, 'must hold a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function parseFlags(argv: readonly string[]): { configFile?: string; values: Map<string, string> } {
  const values = new Map<string, string>();
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [name, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(name, 'flags', 'is missing its value');
    if (name === '--config') configFile = value;
    else if (specsByFlag.has(name)) values.set(name, value);
    else throw new ConfigError(name, 'flags', 'is not a known flag (see --help)');
  }
  return configFile === undefined ? { values } : { configFile, values };
}

export function loadConfig(sources: ConfigSources = {}): NodeConfig {
  const config = new Map<string, unknown>(optionSpecs.map((spec) => [spec.key, spec.default]));
  const flags = parseFlags(sources.argv ?? []);
  const env = sources.env ?? {};
  const fileName = flags.configFile ?? env.TRIBUTARY_CONFIG;
  if (fileName) {
    for (const [key, raw] of Object.entries(readConfigFile(fileName))) {
      const spec = specsByKey.get(key);
      if (!spec) throw new ConfigError(key, fileName, 'is not a known setting');
      config.set(key, coerce(spec, raw, fileName));
    }
  }
  for (const [key, raw] of Object.entries(sources.overrides ?? {})) {
    const spec = specsByKey.get(key);
    if (!spec) throw new ConfigError(key, 'overrides', 'is not a known setting');
    config.set(key, coerce(spec, raw, 'overrides'));
  }
  for (const spec of optionSpecs) {
    const raw = env[environmentName(spec.key)];
    if (raw !== undefined) config.set(spec.key, coerce(spec, raw, environmentName(spec.key)));
  }
  for (const [flag, raw] of flags.values) {
    const spec = specsByFlag.get(flag) as OptionSpec;
    config.set(spec.key, coerce(spec, raw, flag));
  }
  return checkRelations(Object.fromEntries(config) as unknown as NodeConfig);
}

function checkRelations(config: NodeConfig): NodeConfig {
  const voters = config.controllerVoters;
  const ids = new Set(voters.map((v) => v.nodeId));
  if (ids.size !== voters.length) {
    throw new ConfigError('controllerVoters', 'config', 'lists a node id twice');
  }
  if (voters.length > 1 && config.clusterSecret.length < 16) {
    throw new ConfigError(
      'clusterSecret',
      'config',
      'must be at least 16 characters when there is more than one voter',
    );
  }
  if (config.heartbeatTicks >= config.electionTicks) {
    throw new ConfigError(
      'heartbeatTicks',
      'config',
      `must be below electionTicks (${config.electionTicks})`,
    );
  }
  if (config.brokerHeartbeatMs * 2 > config.brokerSessionMs) {
    throw new ConfigError('brokerSessionMs', 'config', 'must be at least twice brokerHeartbeatMs');
  }
  return {
    ...config,
    advertisedHost: config.advertisedHost || config.clientHost,
  };
}

export function describeOptions(): string {
  return optionSpecs
    .map(
      (spec) =>
        `  ${flagName(spec.key).padEnd(28)} ${environmentName(spec.key).padEnd(36)} ${spec.description} (default ${JSON.stringify(spec.default)})`,
    )
    .join('\n');
}
