/** Docker's nanosecond timestamps, ordered as the Engine means them. */
import { engineTimeNs } from '../../../activities/runtime/swarm/engine-time';

test('nanoseconds survive, and trailing zeros dropped by Docker do not reorder times', () => {
  const a = engineTimeNs('2026-11-26T00:15:58.0088738Z');
  const b = engineTimeNs('2026-11-26T00:15:57.81559824Z');
  expect(a - b).toBe(193_275_560n);
  expect(engineTimeNs('2026-11-26T00:15:32.496759587Z') - engineTimeNs('2026-11-26T00:15:32.496704585Z')).toBe(55_002n);
});

test('whole seconds and offsets are read', () => {
  expect(engineTimeNs('1970-01-01T00:00:01Z')).toBe(1_000_000_000n);
  expect(engineTimeNs('1970-01-01T01:00:01.5+01:00')).toBe(1_500_000_000n);
});

test('anything else is an error, not a silent zero', () => {
  expect(() => engineTimeNs('yesterday')).toThrow('unexpected Docker timestamp "yesterday"');
});
