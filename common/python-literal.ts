/**
 * Python literals (`repr()` of dicts, lists, strings, numbers, True/False/None): the original LMs put their
 * `agent` and `service` fields in this form and read them back with `ast.literal_eval` (spec/original-lm.md §6).
 * We parse what old LMs answer, and answer old LMs in the same form, so both generations interoperate.
 * Dicts keep insertion order (Python 3.7+); safe integers print as ints, other numbers as Python floats.
 */

export class PythonLiteralError extends Error {
  override name = 'PythonLiteralError';
}

export function toPythonLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return pythonString(value);
  if (typeof value === 'number') return pythonNumber(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(toPythonLiteral).join(', ')}]`;
  if (value instanceof Date) return pythonString(value.toISOString());
  if (typeof value === 'object') {
    const items = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${pythonString(k)}: ${toPythonLiteral(v)}`);
    return `{${items.join(', ')}}`;
  }
  throw new TypeError(`toPythonLiteral: cannot represent a ${typeof value}`);
}

/** Characters Python's str.isprintable() rejects (besides ASCII controls): separators, format, unassigned... */
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Single quotes unless the text has a ' and no ", exactly like repr(str). */
function pythonString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`;
    else if (code < 0x7f || ch === ' ' || !NOT_PRINTABLE.test(ch)) out += ch;
    else if (code <= 0xff) out += `\\x${hex(code, 2)}`;
    else if (code <= 0xffff) out += `\\u${hex(code, 4)}`;
    else out += `\\U${hex(code, 8)}`;
  }
  return out + quote;
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

/** Python's float repr: shortest round-trip digits, scientific when the exponent is < -4 or >= 16. */
function pythonNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  // Beyond 2^53 a JS number has lost any int-ness it had: print it as the float it is.
  if (Number.isSafeInteger(n)) return String(n);
  const [mantissa = '', exp = '0'] = Math.abs(n).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const decpt = Number(exp) + 1;
  const sign = n < 0 ? '-' : '';
  if (decpt > 16 || decpt < -3) {
    const e = decpt - 1;
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${body}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '0': '\0',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
};

/** Parses the literal subset `ast.literal_eval` accepts for JSON-like data; tuples become arrays. */
export function parsePythonLiteral(text: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new PythonLiteralError(`not a Python literal: ${what} at position ${i} of ${JSON.stringify(text.slice(0, 200))}`);
  };
  const skip = (): void => {
    while (i < text.length && /\s/.test(text.charAt(i))) i += 1;
  };
  const value = (): unknown => {
    skip();
    const ch = text.charAt(i);
    if (ch === '{') return container('{', '}', true);
    if (ch === '[') return container('[', ']', false);
    if (ch === '(') return container('(', ')', false);
    if (ch === "'" || ch === '"') return string();
    const word = /^(True|False|None)\b/.exec(text.slice(i));
    if (word) {
      i += word[0].length;
      return word[0] === 'True' ? true : word[0] === 'False' ? false : null;
    }
    const number = /^[-+]?(\d+\.?\d*(e[-+]?\d+)?|\.\d+(e[-+]?\d+)?)/i.exec(text.slice(i));
    if (number) {
      i += number[0].length;
      return Number(number[0]);
    }
    return fail('unexpected character');
  };
  const string = (): string => {
    const quote = text.charAt(i);
    let out = '';
    for (i += 1; i < text.length; i += 1) {
      const ch = text.charAt(i);
      if (ch === quote) {
        i += 1;
        skip();
        // Adjacent literals concatenate, as in Python.
        if (text.charAt(i) === "'" || text.charAt(i) === '"') return out + string();
        return out;
      }
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const next = text.charAt(i + 1);
      if (next === 'x' || next === 'u' || next === 'U') {
        const width = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const hex = text.slice(i + 2, i + 2 + width);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) fail('bad escape');
        out += String.fromCodePoint(parseInt(hex, 16));
        i += 1 + width;
      } else {
        out += ESCAPES[next] ?? `\\${next}`;
        i += 1;
      }
    }
    return fail('unterminated string');
  };
  const container = (open: string, close: string, isDict: boolean): unknown => {
    i += 1;
    const list: unknown[] = [];
    const dict: Record<string, unknown> = {};
    for (;;) {
      skip();
      if (text.charAt(i) === close) {
        i += 1;
        return isDict ? dict : list;
      }
      const item = value();
      if (isDict) {
        skip();
        if (text.charAt(i) !== ':') fail(`expected ":" in ${open}…${close}`);
        i += 1;
        dict[String(item)] = value();
      } else {
        list.push(item);
      }
      skip();
      if (text.charAt(i) === ',') i += 1;
      else if (text.charAt(i) !== close) fail(`expected "," or "${close}"`);
    }
  };
  const result = value();
  skip();
  if (i < text.length) fail('trailing input');
  return result;
}
