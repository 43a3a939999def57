/** Quoting SQL identifiers (tables, columns) the same way for SQLite and PostgreSQL. */

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `schema.table` → `"schema"."table"`; a name without a dot is one identifier. */
export function quoteQualified(name: string): string {
  const dot = name.indexOf('.');
  if (dot < 0) return quoteIdentifier(name);
  return `${quoteIdentifier(name.slice(0, dot))}.${quoteIdentifier(name.slice(dot + 1))}`;
}

/** `[schema, table]` of a possibly qualified name (schema undefined when not given). */
export function splitQualified(name: string): [string | undefined, string] {
  const dot = name.indexOf('.');
  return dot < 0 ? [undefined, name] : [name.slice(0, dot), name.slice(dot + 1)];
}
