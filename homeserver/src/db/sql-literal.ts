/** A value that can be written into SQL as a literal. */
export type SqlValue = string | number | boolean | null | undefined;

/**
 * `value` as a PostgreSQL literal, for statements sent without parameters (a WriteBatch): the
 * rules of pg's escapeLiteral. Quotes are doubled; a string holding a backslash becomes an E''
 * string with its backslashes doubled, so the meaning does not hang on standard_conforming_strings.
 */
export function sqlLiteral(value: SqlValue): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('sqlLiteral: not a finite number');
    return String(value);
  }
  if (value.includes('\u0000')) throw new Error('sqlLiteral: PostgreSQL text cannot hold NUL');
  const quoted = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}

/** `INSERT INTO table (columns) VALUES …` for rows given as value lists in column order. */
export function insertSql(table: string, columns: readonly string[], rows: ReadonlyArray<readonly SqlValue[]>, suffix = ''): string {
  const values = rows.map((r) => `(${r.map(sqlLiteral).join(',')})`).join(',');
  return `INSERT INTO ${table} (${columns.join(',')}) VALUES ${values}${suffix ? ` ${suffix}` : ''}`;
}
