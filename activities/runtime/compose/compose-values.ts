/** Narrowing helpers for the plain values a parsed compose file is made of, read as compose reads them. */

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

/** What compose makes of a literal string once it has interpolated it: `$$` is one `$`. */
export function unescapeDollars(text: string): string {
  return text.replace(/\$\$/g, '$');
}

const TRUE_SPELLINGS = ['y', 'yes', 'true', 'on'];
const FALSE_SPELLINGS = ['n', 'no', 'false', 'off'];

/**
 * A boolean key's value as compose reads it: YAML 1.1 booleans, and strings compose v1 casts in boolean keys
 * (`"yes"`, `"TRUE"`, `"y"`, in any case). Undefined for anything else, which compose refuses.
 */
export function composeBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const spelled = value.trim().toLowerCase();
  if (TRUE_SPELLINGS.includes(spelled)) return true;
  if (FALSE_SPELLINGS.includes(spelled)) return false;
  return undefined;
}

/** `volumes[0].source` from a path below a service or top-level section. */
export function keyOf(path: ReadonlyArray<string | number>): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}
