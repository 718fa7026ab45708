/** jsonb comes back parsed from pg and PGlite alike, text columns as strings: accept both. */
export function fromJsonColumn<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
