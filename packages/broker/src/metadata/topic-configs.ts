/**
 * Topic-level settings, named as Kafka names them, with defaults and checks. A topic stores
 * only its overrides; the effective value is the override or the default here.
 */

export interface TopicConfigSpec {
  readonly name: string;
  readonly default: string;
  readonly description: string;
  /** Returns a problem description, or undefined when the value is acceptable. */
  readonly check: (value: string) => string | undefined;
}

const day = 24 * 60 * 60 * 1000;

function integerAtLeast(min: number) {
  return (value: string) => {
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) return 'not an integer';
    return Number(value) < min ? `below ${min}` : undefined;
  };
}

function oneOf(...choices: string[]) {
  return (value: string) =>
    choices.includes(value) ? undefined : `not one of ${choices.join(', ')}`;
}

export const topicConfigSpecs: readonly TopicConfigSpec[] = [
  {
    name: 'cleanup.policy',
    default: 'delete',
    description: 'delete old segments, compact by key, or both',
    check: oneOf('delete', 'compact', 'compact,delete', 'delete,compact'),
  },
  {
    name: 'retention.ms',
    default: String(7 * day),
    description: 'age after which closed segments are deleted (-1: forever)',
    check: integerAtLeast(-1),
  },
  {
    name: 'retention.bytes',
    default: '-1',
    description: 'size above which the oldest closed segments are deleted (-1: no limit)',
    check: integerAtLeast(-1),
  },
  {
    name: 'segment.bytes',
    default: String(128 * 1024 * 1024),
    description: 'size at which a segment is closed',
    check: integerAtLeast(1024),
  },
  {
    name: 'segment.ms',
    default: String(7 * day),
    description: 'age at which a segment is closed',
    check: integerAtLeast(1),
  },
  {
    name: 'delete.retention.ms',
    default: String(day),
    description: 'how long tombstones survive compaction',
    check: integerAtLeast(0),
  },
  {
    name: 'max.message.bytes',
    default: String(1024 * 1024),
    description: 'largest record batch accepted',
    check: integerAtLeast(64),
  },
];

const specsByName = new Map(topicConfigSpecs.map((spec) => [spec.name, spec]));

/** Checks overrides; returns a problem per bad entry (empty when all are acceptable). */
export function checkTopicConfigs(overrides: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(overrides)) {
    const spec = specsByName.get(name);
    if (!spec) problems.push(`${name}: unknown topic config`);
    else {
      const problem = spec.check(value);
      if (problem) problems.push(`${name}=${value}: ${problem}`);
    }
  }
  return problems;
}

export function isKnownTopicConfig(name: string): boolean {
  return specsByName.has(name);
}

export interface EffectiveConfig {
  readonly name: string;
  readonly value: string;
  readonly isDefault: boolean;
}

export function effectiveTopicConfigs(
  overrides: Readonly<Record<string, string>>,
): EffectiveConfig[] {
  return topicConfigSpecs.map((spec) => {
    const override = overrides[spec.name];
    return override === undefined
      ? { name: spec.name, value: spec.default, isDefault: true }
      : { name: spec.name, value: override, isDefault: false };
  });
}

export function topicConfigValue(
  overrides: Readonly<Record<string, string>>,
  name: string,
): string {
  const spec = specsByName.get(name);
  if (!spec) throw new Error(`assertion failed: unknown topic config ${name}`);
  return overrides[name] ?? spec.default;
}
