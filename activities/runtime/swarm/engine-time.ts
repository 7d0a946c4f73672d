/**
 * Docker timestamps have nanoseconds (and trailing zeros dropped), which neither Date nor string comparison
 * orders correctly; tasks are told apart from the service update that made them by these times.
 */
const ENGINE_TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Nanoseconds since the epoch. */
export function engineTimeNs(timestamp: string): bigint {
  const match = ENGINE_TIME.exec(timestamp);
  if (!match) throw new Error(`unexpected Docker timestamp "${timestamp}"`);
  const [, seconds, fraction = '', zone] = match;
  const epochMs = Date.parse(`${seconds}${zone}`);
  if (Number.isNaN(epochMs)) throw new Error(`unexpected Docker timestamp "${timestamp}"`);
  return BigInt(epochMs) * 1_000_000n + BigInt(fraction.padEnd(9, '0'));
}
