/** Pieces of Temporal visibility queries (list filters): values are validated by their callers, and quoted here anyway. */

export function quoteValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
