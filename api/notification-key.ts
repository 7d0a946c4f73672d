/** Identical notifications (same type, same data whatever the key order) share one key: the instance merges them. */
import { createHash } from 'node:crypto';

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function notificationKey(type: string, data: unknown): string {
  return createHash('sha256')
    .update(`${type}\n${canonicalJson(data)}`)
    .digest('hex')
    .slice(0, 32);
}
