/** CLI runs end with their whole process group: on an abort (the activity cancelled) and at their deadline. */
import fs from 'node:fs';
import { runCommand } from '../../activities/runtime/compose/run-command';
import { pollUntil } from '../../activities/runtime/poll-until';

/** Processes whose command line carries `marker` (the grandchildren a shell started). */
function processesWith(marker: string): number {
  return fs.readdirSync('/proc').filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      return fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(marker);
    } catch {
      return false;
    }
  }).length;
}

async function gone(marker: string): Promise<boolean> {
  for (let i = 0; i < 20 && processesWith(marker) > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  return processesWith(marker) === 0;
}

// A shell that leaves a grandchild of its own behind, as compose's plugin children are.
const script = (marker: string) => ['-c', `sleep ${marker} & sleep ${marker}; wait`];

test('an abort kills the command and what it started, at once', async () => {
  const marker = `41.${process.pid}1`;
  const controller = new AbortController();
  const started = Date.now();
  const running = runCommand('sh', script(marker), { timeoutMs: 60_000, signal: controller.signal });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(processesWith(marker)).toBe(2);
  controller.abort();
  const result = await running;
  expect(result).toMatchObject({ aborted: true, timedOut: false });
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(await gone(marker)).toBe(true);
});

test('a command past its deadline is killed with its group', async () => {
  const marker = `42.${process.pid}2`;
  const result = await runCommand('sh', script(marker), { timeoutMs: 300 });
  expect(result).toMatchObject({ timedOut: true, aborted: false });
  expect(await gone(marker)).toBe(true);
});

test('a program that is not there rejects; a failing one resolves with its exit code and stderr', async () => {
  await expect(runCommand('/nonexistent/program', [], { timeoutMs: 1_000 })).rejects.toMatchObject({ code: 'ENOENT' });
  await expect(runCommand('sh', ['-c', 'echo nope >&2; exit 3'], { timeoutMs: 5_000 })).resolves.toMatchObject({
    exitCode: 3,
    stderr: 'nope\n',
  });
});

test('polling stops as soon as its signal aborts, with the reason', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('cancelled by the test')), 100);
  const started = Date.now();
  const polling = pollUntil(async () => ({ done: false, seen: 'waiting' }), {
    timeoutMs: 60_000,
    everyMs: 10_000,
    signal: controller.signal,
  });
  await expect(polling).rejects.toThrow('cancelled by the test');
  expect(Date.now() - started).toBeLessThan(2_000);
});
