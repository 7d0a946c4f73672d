/**
 * `lm_instances` of the API's /metrics: scrapes that come together or within the TTL share one count of the
 * instances (one visibility query per status); a failed count is not kept, and the scrape still answers.
 */
import { createLogger } from '../../common/logger';
import { requestMetrics, type StatusCounts } from '../../api/request-metrics';

const logger = createLogger('request-metrics-test', 'fatal');

function countingSource(counts: () => StatusCounts) {
  const calls = { n: 0 };
  const countByStatus = async (): Promise<StatusCounts> => {
    calls.n += 1;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return counts();
  };
  return { calls, countByStatus };
}

const sampleOf = (text: string, status: string): string | undefined =>
  new RegExp(`^lm_instances\\{status="${status}"\\} (\\S+)$`, 'm').exec(text)?.[1];

test('scrapes within the TTL share one count, concurrent ones included', async () => {
  let started = 3;
  const source = countingSource(() => [{ status: 'started', count: started }]);
  const { registry } = requestMetrics({ ...source, logger, instanceCountTtlMs: 60_000 });
  const texts = await Promise.all([registry.metrics(), registry.metrics(), registry.metrics()]);
  expect(source.calls.n).toBe(1);
  for (const text of texts) expect(sampleOf(text, 'started')).toBe('3');
  started = 4;
  expect(sampleOf(await registry.metrics(), 'started')).toBe('3');
  expect(source.calls.n).toBe(1);
});

test('a TTL of 0 counts at every scrape', async () => {
  let started = 1;
  const source = countingSource(() => [{ status: 'started', count: started }]);
  const { registry } = requestMetrics({ ...source, logger, instanceCountTtlMs: 0 });
  expect(sampleOf(await registry.metrics(), 'started')).toBe('1');
  started = 2;
  expect(sampleOf(await registry.metrics(), 'started')).toBe('2');
  expect(source.calls.n).toBe(2);
});

test('a failed count leaves the gauge out of that scrape and is tried again at the next', async () => {
  let failing = true;
  const source = countingSource(() => {
    if (failing) throw new Error('visibility unavailable');
    return [{ status: 'stopped', count: 7 }];
  });
  const { registry } = requestMetrics({ ...source, logger, instanceCountTtlMs: 60_000 });
  const first = await registry.metrics();
  expect(sampleOf(first, 'stopped')).toBeUndefined();
  expect(first).toMatch(/^process_cpu_seconds_total /m);
  failing = false;
  expect(sampleOf(await registry.metrics(), 'stopped')).toBe('7');
  expect(source.calls.n).toBe(2);
});
