/**
 * Colour, only where a person is looking: the stream is a terminal, `NO_COLOR` is unset or
 * empty (no-color.org), and `TERM` is not `dumb`. Everything else gets plain text, so
 * output piped to a file or another program never carries escape codes.
 */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

export function colourWanted(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (stream.isTTY !== true) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

function sgr(open: number, close: number) {
  return (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
}

const identity = (text: string) => text;

export function createStyle(enabled: boolean): Style {
  if (!enabled) {
    return {
      enabled,
      bold: identity,
      dim: identity,
      red: identity,
      green: identity,
      yellow: identity,
    };
  }
  return {
    enabled,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ESC is the point
const escapeSequence = /\u001b\[[0-9;]*m/g;

/** The width a terminal shows: escape codes take no room. */
export function visibleLength(text: string): number {
  return text.replace(escapeSequence, '').length;
}
