/**
 * Plain text tables: a header row, columns padded to their widest cell, two spaces apart,
 * numbers right-aligned. The width of a cell is what a terminal shows (colour codes take
 * no room). A pure function: the caller decides where the text goes.
 */
import { type Style, visibleLength } from '../style.ts';

export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right';
}

const columnGap = '  ';

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(text)));
  return align === 'right' ? fill + text : text + fill;
}

export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  style?: Style,
): string {
  for (const row of rows) {
    if (row.length !== columns.length) {
      throw new Error(`table row has ${row.length} cells for ${columns.length} columns`);
    }
  }
  const widths = columns.map((column, i) =>
    Math.max(visibleLength(column.header), ...rows.map((row) => visibleLength(row[i] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const last = i === cells.length - 1;
        const align = columns[i]?.align ?? 'left';
        return last && align === 'left' ? cell : pad(cell, widths[i] ?? 0, align);
      })
      .join(columnGap);
  const header = line(columns.map((c) => c.header));
  const body = rows.map(line);
  return `${[style === undefined ? header : style.bold(header), ...body].join('\n')}\n`;
}

/** `key: value` lines with the keys aligned, for summaries above a table. */
export function renderFields(fields: readonly (readonly [string, string])[], style?: Style) {
  const width = Math.max(0, ...fields.map(([key]) => key.length + 1));
  return fields
    .map(([key, value]) => {
      const label = `${key}:`.padEnd(width);
      return `${style === undefined ? label : style.bold(label)} ${value}\n`;
    })
    .join('');
}
