/** How a command declares its flags; the parser and the help text both read these. */

export type FlagKind =
  /** `--name value`, at most once. */
  | 'string'
  /** `--name`, no value. */
  | 'boolean'
  /** `--name value`, repeatable; values kept in order. */
  | 'list';

export interface FlagSpec {
  /** The long name, without `--`. */
  readonly name: string;
  /** One character, without `-`. */
  readonly short?: string;
  readonly kind: FlagKind;
  /** Shown in help as `--name <valueName>`. */
  readonly valueName?: string;
  readonly description: string;
  /** Shown in help as `(default ...)`. */
  readonly defaultText?: string;
}

export const helpFlag: FlagSpec = {
  name: 'help',
  short: 'h',
  kind: 'boolean',
  description: 'show help for the command',
};

/** `--format json|text`, on every command that reads and prints. */
export const formatFlag: FlagSpec = {
  name: 'format',
  kind: 'string',
  valueName: 'json|text',
  description: 'output as a table for people or one JSON document for programs',
  defaultText: 'text',
};

export const globalFlags: readonly FlagSpec[] = [
  {
    name: 'brokers',
    kind: 'string',
    valueName: 'host:port,...',
    description: 'bootstrap brokers (any one reachable is enough)',
    defaultText: '$TRIBUTARY_BROKERS or 127.0.0.1:9092',
  },
  {
    name: 'timeout',
    kind: 'string',
    valueName: 'duration',
    description: 'bound on each cluster operation: 500ms, 10s, 2m, or milliseconds',
    defaultText: '10s',
  },
  helpFlag,
];
