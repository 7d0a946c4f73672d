/** One read serves the callers that ask for the same key together or within the TTL; failures are not kept. */
import { sharedResults } from '../../common/shared-results';

function countingLoad() {
  const calls: string[] = [];
  const load = async (key: string, fail = false): Promise<string> => {
    const number = calls.push(key);
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (fail) throw new Error(`load of ${key} failed`);
    return `${key}#${number}`;
  };
  return { calls, load };
}

test('callers of one key at once, or within the TTL, share one load; other keys load on their own', async () => {
  const { calls, load } = countingLoad();
  const shared = sharedResults(
    60_000,
    (key: string) => load(key),
    (key) => key,
  );
  expect(await Promise.all([shared('a'), shared('a'), shared('b')])).toEqual(['a#1', 'a#1', 'b#2']);
  expect(await shared('a')).toBe('a#1');
  expect(calls).toEqual(['a', 'b']);
});

test('after the TTL the next caller loads again; a TTL of 0 never shares', async () => {
  const { calls, load } = countingLoad();
  const short = sharedResults(
    30,
    (key: string) => load(key),
    (key) => key,
  );
  await short('a');
  await new Promise((resolve) => setTimeout(resolve, 60));
  await short('a');
  expect(calls).toEqual(['a', 'a']);
  const never = sharedResults(
    0,
    (key: string) => load(key),
    (key) => key,
  );
  await Promise.all([never('b'), never('b')]);
  expect(calls.filter((k) => k === 'b')).toHaveLength(2);
});

test('a failed load reaches every caller that shared it, and the next caller tries again', async () => {
  const { calls, load } = countingLoad();
  let fail = true;
  const shared = sharedResults(
    60_000,
    (key: string) => load(key, fail),
    (key) => key,
  );
  const results = await Promise.allSettled([shared('a'), shared('a')]);
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  fail = false;
  expect(await shared('a')).toBe('a#2');
  expect(calls).toEqual(['a', 'a']);
});
