/**
 * Rules the OpenAPI document states exactly as the validation applies them. Its patterns are read by other
 * regex engines (schemathesis, code generators), so they spell out what JavaScript's shorthands mean:
 * `\d` and `\s` mean more characters to Python and Rust than to JavaScript.
 */
import { z } from 'zod';

/** JavaScript's `\s`, as a character-class body. */
export const SPACE = String.raw`\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff`;

/** A UUID, either case (no `i` flag: JSON Schema patterns have none). */
export const UUID_SOURCE = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

/**
 * A whole number in a query string, within [min, max]. Strict (digits only, no `1e3`, ` 5` or empty string,
 * all of which `Number()` would take), and documented as the integer it is.
 */
export function queryInteger(name: string, min: number, max: number, what = 'a whole number', unit = '') {
  const range = `${name} must be between ${min} and ${max}${unit === '' ? '' : ` ${unit}`}`;
  return z
    .string({ error: `${name} must be ${what}` })
    .regex(/^-?[0-9]{1,16}$/, `${name} must be ${what}`)
    .transform(Number)
    .pipe(z.int().min(min, range).max(max, range))
    .meta({ type: 'integer', minimum: min, maximum: max });
}
