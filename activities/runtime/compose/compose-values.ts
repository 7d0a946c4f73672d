/** Narrowing helpers for the plain values a parsed compose file is made of. */

export type ComposeMapping = Record<string, unknown>;

export function isMapping(value: unknown): value is ComposeMapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Compose accepts a single string or a list where it expects a list of strings. */
export function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** True when compose would substitute a variable into `text` (`$$` is a literal dollar). */
export function hasInterpolation(text: string): boolean {
  return text.replace(/\$\$/g, '').includes('$');
}

/** `volumes[0].source` from a path below a service or top-level section. */
export function keyOf(path: ReadonlyArray<string | number>): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}
