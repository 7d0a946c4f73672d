/**
 * CIMI `$filter` parser and evaluator, following SlipStream's grammar (spec/mf2c-peers.md §5.1):
 *   Filter := And ('or' And)* ; And := Comp ('and' Comp)* ; Comp := '(' Filter ')' | Attribute Op Value | Value Op Attribute
 *   Op: = != < <= > >= ^= (prefix) == (full text)
 *   Attribute: terms joined by '/', e.g. acl/owner/principal ; a term may be namespaced (ns:term)
 *   Value: "double" or 'single' quoted string (backslash escapes), integer, unquoted date, true, false, null
 * Semantics mimic the Elasticsearch binding: a path through arrays matches if any element matches, and
 * `!=` also matches documents lacking the attribute.
 */
import { isRecord } from './json-values';

export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | '^=' | '==';
export type FilterValue =
  | { kind: 'string'; value: string }
  | { kind: 'int'; value: number }
  | { kind: 'date'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' };

export type FilterNode =
  { kind: 'and' | 'or'; left: FilterNode; right: FilterNode } | { kind: 'comp'; path: string[]; op: FilterOp; value: FilterValue };

export class CimiFilterError extends Error {}

type Token =
  | { type: 'paren'; text: '(' | ')'; at: number }
  | { type: 'op'; text: FilterOp; at: number }
  | { type: 'word'; text: string; at: number }
  | { type: 'value'; value: FilterValue; at: number };

const TERM = '[A-Za-z](?:[\\w-]*\\w)?';
const NS_TERM = `${TERM}(?::${TERM})?`;
const WORD = new RegExp(`${NS_TERM}(?:/${NS_TERM})*`, 'y');
const DATE = /\d+-\d+(?:-\d+)?(?:T\d+:\d+:\d+(?:\.\d+)?(?:Z|[+-]\d+:\d+))?/y;
const INT = /\d+/y;
const OPS: FilterOp[] = ['==', '!=', '^=', '<=', '>=', '<', '>', '='];
const RELATIONAL: FilterOp[] = ['<', '<=', '>', '>='];
const MIRRORED: Partial<Record<FilterOp, FilterOp>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

export function parseCimiFilter(text: string): FilterNode {
  const tokens = tokenize(text);
  let index = 0;
  const peek = (): Token | undefined => tokens[index];
  const fail = (message: string): never => {
    const at = peek()?.at ?? text.length;
    throw new CimiFilterError(`${message} at position ${at} of ${JSON.stringify(text)}`);
  };
  const isKeyword = (word: string): boolean => {
    const t = peek();
    return t?.type === 'word' && t.text === word;
  };

  const parseOr = (): FilterNode => {
    let left = parseAnd();
    while (isKeyword('or')) {
      index += 1;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): FilterNode => {
    let left = parsePrimary();
    while (isKeyword('and')) {
      index += 1;
      left = { kind: 'and', left, right: parsePrimary() };
    }
    return left;
  };
  const parsePrimary = (): FilterNode => {
    const t = peek();
    if (t?.type === 'paren' && t.text === '(') {
      index += 1;
      const inner = parseOr();
      const close = peek();
      if (close?.type !== 'paren' || close.text !== ')') fail("expected ')'");
      index += 1;
      return inner;
    }
    return parseComparison();
  };
  const parseComparison = (): FilterNode => {
    const first = operand();
    const opToken = peek();
    if (opToken?.type !== 'op') return fail('expected an operator');
    index += 1;
    const second = operand();
    if ('path' in first && 'value' in second) return comparison(first.path, opToken.text, second.value);
    if ('value' in first && 'path' in second) return comparison(second.path, MIRRORED[opToken.text] ?? opToken.text, first.value);
    return fail('a comparison needs one attribute and one value');
  };
  const operand = (): { path: string[] } | { value: FilterValue } => {
    const t = peek();
    index += 1;
    if (t?.type === 'value') return { value: t.value };
    if (t?.type === 'word') {
      if (t.text === 'true' || t.text === 'false') return { value: { kind: 'bool', value: t.text === 'true' } };
      if (t.text === 'null') return { value: { kind: 'null' } };
      if (t.text !== 'and' && t.text !== 'or') return { path: t.text.split('/') };
    }
    index -= 1;
    return fail('expected an attribute or a value');
  };
  const comparison = (path: string[], op: FilterOp, value: FilterValue): FilterNode => {
    if (RELATIONAL.includes(op) && (value.kind === 'bool' || value.kind === 'null')) fail(`operator ${op} needs a string, integer or date`);
    if ((op === '^=' || op === '==') && value.kind !== 'string') fail(`operator ${op} needs a quoted string`);
    return { kind: 'comp', path, op, value };
  };

  if (tokens.length === 0) fail('empty filter');
  const node = parseOr();
  if (index < tokens.length) fail('unexpected trailing input');
  return node;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const sticky = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    return re.exec(text)?.[0];
  };
  while (i < text.length) {
    const ch = text.charAt(i);
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    const at = i;
    if (ch === '(' || ch === ')') {
      tokens.push({ type: 'paren', text: ch, at });
      i += 1;
      continue;
    }
    const op = OPS.find((candidate) => text.startsWith(candidate, i));
    if (op) {
      tokens.push({ type: 'op', text: op, at });
      i += op.length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const { value, end } = readQuoted(text, i);
      tokens.push({ type: 'value', value: { kind: 'string', value }, at });
      i = end;
      continue;
    }
    const date = sticky(DATE);
    if (date !== undefined && date.includes('-')) {
      tokens.push({ type: 'value', value: { kind: 'date', value: date }, at });
      i += date.length;
      continue;
    }
    const int = sticky(INT);
    if (int !== undefined) {
      tokens.push({ type: 'value', value: { kind: 'int', value: Number(int) }, at });
      i += int.length;
      continue;
    }
    const word = sticky(WORD);
    if (word !== undefined) {
      tokens.push({ type: 'word', text: word, at });
      i += word.length;
      continue;
    }
    throw new CimiFilterError(`unexpected character ${JSON.stringify(ch)} at position ${i} of ${JSON.stringify(text)}`);
  }
  return tokens;
}

function readQuoted(text: string, start: number): { value: string; end: number } {
  const quote = text.charAt(start);
  let value = '';
  for (let i = start + 1; i < text.length; i += 1) {
    const ch = text.charAt(i);
    if (ch === '\\' && i + 1 < text.length) {
      value += text.charAt(i + 1);
      i += 1;
    } else if (ch === quote) {
      return { value, end: i + 1 };
    } else {
      value += ch;
    }
  }
  throw new CimiFilterError(`unterminated string starting at position ${start} of ${JSON.stringify(text)}`);
}

/** True when the document satisfies the filter. */
export function matchesFilter(node: FilterNode, doc: unknown): boolean {
  switch (node.kind) {
    case 'and':
      return matchesFilter(node.left, doc) && matchesFilter(node.right, doc);
    case 'or':
      return matchesFilter(node.left, doc) || matchesFilter(node.right, doc);
    case 'comp':
      return matchesComparison(node.op, valuesAt(doc, node.path), node.value);
  }
}

/** Leaf values reached by the path; arrays on the way (or at the end) fan out, like ES flattening. */
function valuesAt(doc: unknown, path: string[]): unknown[] {
  let current: unknown[] = [doc];
  for (const key of path) {
    current = current.flatMap((v) => (Array.isArray(v) ? v : [v])).flatMap((v) => (isRecord(v) && key in v ? [v[key]] : []));
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== null && v !== undefined);
}

function matchesComparison(op: FilterOp, actual: unknown[], expected: FilterValue): boolean {
  if (expected.kind === 'null') return op === '=' ? actual.length === 0 : actual.length > 0;
  switch (op) {
    case '=':
      return actual.some((a) => compare(a, expected) === 0);
    case '!=':
      return !actual.some((a) => compare(a, expected) === 0);
    case '<':
      return actual.some((a) => (compare(a, expected) ?? 0) < 0);
    case '<=':
      return actual.some((a) => (compare(a, expected) ?? 1) <= 0);
    case '>':
      return actual.some((a) => (compare(a, expected) ?? 0) > 0);
    case '>=':
      return actual.some((a) => (compare(a, expected) ?? -1) >= 0);
    case '^=':
      return actual.some((a) => typeof a === 'string' && expected.kind === 'string' && a.startsWith(expected.value));
    case '==':
      // Full-text search approximated by a case-insensitive substring match.
      return actual.some(
        (a) => typeof a === 'string' && expected.kind === 'string' && a.toLowerCase().includes(expected.value.toLowerCase()),
      );
  }
}

/** Sign of actual - expected, or undefined when the two are not comparable (different types). */
function compare(actual: unknown, expected: FilterValue): number | undefined {
  switch (expected.kind) {
    case 'string':
      // Code-unit order, like Elasticsearch keyword ranges.
      if (typeof actual !== 'string') return undefined;
      return actual === expected.value ? 0 : actual < expected.value ? -1 : 1;
    case 'int':
      return typeof actual === 'number' ? sign(actual - expected.value) : undefined;
    case 'bool':
      return typeof actual === 'boolean' ? (actual === expected.value ? 0 : 1) : undefined;
    case 'date': {
      const a = typeof actual === 'string' ? Date.parse(actual) : NaN;
      const e = Date.parse(expected.value);
      return Number.isNaN(a) || Number.isNaN(e) ? undefined : sign(a - e);
    }
    case 'null':
      return undefined;
  }
}

function sign(n: number): number {
  return n === 0 ? 0 : n < 0 ? -1 : 1;
}
