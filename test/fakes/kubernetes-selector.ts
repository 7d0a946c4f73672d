/** Label selectors as the API server reads them: equality (`a=b`, `a==b`, `a!=b`) and existence (`a`, `!a`), ANDed. */
import { isRecord } from './json-values';

export function matchesSelector(labels: unknown, selector: string | null): boolean {
  if (!selector) return true;
  const own = isRecord(labels) ? labels : {};
  return selector.split(',').every((term) => {
    const [, key, op, value] = /^\s*(!?[^!=\s]+)\s*(!=|==|=)?\s*(.*?)\s*$/.exec(term) ?? [];
    if (key === undefined) return false;
    if (op === undefined) return key.startsWith('!') ? !(key.slice(1) in own) : key in own;
    return op === '!=' ? own[key] !== value : own[key] === value;
  });
}
