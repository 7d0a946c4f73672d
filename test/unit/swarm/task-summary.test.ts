/** How start, stop and observe read a swarm service's task list. */
import type { SwarmTask } from '../../../activities/runtime/swarm/swarm-api-types';
import { startVerdict, summariseTasks } from '../../../activities/runtime/swarm/task-summary';
import { swarmObservedStatus } from '../../../activities/runtime/swarm/swarm-observed-status';

const UPDATED = '2026-11-26T00:16:00.5Z';
const BEFORE = '2026-11-26T00:15:00Z';
const AFTER = '2026-11-26T00:16:01.25Z';
const LATER = '2026-11-26T00:16:03Z';

function task(state: string, desired: string, createdAt: string, extra: Partial<SwarmTask['Status']> = {}): SwarmTask {
  return { ID: `${state}-${createdAt}`, ServiceID: 's', CreatedAt: createdAt, DesiredState: desired, Status: { State: state, ...extra } };
}

test('running tasks count only when they are also meant to run', () => {
  const summary = summariseTasks(
    [task('running', 'running', AFTER), task('running', 'shutdown', AFTER), task('preparing', 'running', AFTER)],
    UPDATED,
  );
  expect(summary.running).toBe(1);
  expect(summary.active).toBe(3);
  expect(startVerdict(summary, 1)).toEqual({ kind: 'running' });
  expect(startVerdict(summary, 2)).toEqual({ kind: 'waiting', detail: '2 running, 1 preparing' });
});

test("a rejected task since the last update fails the start with the engine's words; the newest problem wins", () => {
  const summary = summariseTasks(
    [
      task('rejected', 'shutdown', AFTER, { Err: 'older problem' }),
      task('rejected', 'ready', LATER, { Err: 'No such image: lm-test/x:1' }),
      task('preparing', 'running', LATER),
    ],
    UPDATED,
  );
  expect(startVerdict(summary, 1)).toEqual({
    kind: 'failed',
    problem: { state: 'rejected', message: 'No such image: lm-test/x:1', exitCode: null },
  });
});

test('failures before the last update belong to an earlier start and are ignored', () => {
  const summary = summariseTasks(
    [task('failed', 'shutdown', BEFORE, { Err: 'task: non-zero exit (3)' }), task('starting', 'running', AFTER)],
    UPDATED,
  );
  expect(summary.problems).toEqual([]);
  expect(startVerdict(summary, 1).kind).toBe('waiting');
});

test('enough running tasks win over a failure swarm already replaced', () => {
  const summary = summariseTasks(
    [
      task('failed', 'shutdown', AFTER, { Err: 'task: non-zero exit (1)', ContainerStatus: { ExitCode: 1 } }),
      task('running', 'running', LATER),
    ],
    UPDATED,
  );
  expect(summary.problems[0].exitCode).toBe(1);
  expect(startVerdict(summary, 1)).toEqual({ kind: 'running' });
});

test('a pending task explains itself in the detail (e.g. no suitable node)', () => {
  const summary = summariseTasks(
    [task('pending', 'running', AFTER, { Message: 'no suitable node (insufficient resources on 1 node)' })],
    UPDATED,
  );
  expect(startVerdict(summary, 1)).toEqual({ kind: 'waiting', detail: '1 pending (no suitable node (insufficient resources on 1 node))' });
});

describe('observed status', () => {
  const none = summariseTasks([], UPDATED);
  const oneRunning = summariseTasks([task('running', 'running', AFTER)], UPDATED);
  const crashing = summariseTasks([task('failed', 'shutdown', AFTER, { Err: 'boom' })], UPDATED);

  test.each([
    ['never started', 'waiting', 0, false, none],
    ['scaled to 0', 'stopped', 0, true, none],
    ['all replicas run', 'started', 1, true, oneRunning],
    ['short of replicas, converging', 'unknown', 2, true, oneRunning],
    ['short of replicas, tasks failing', 'error', 1, true, crashing],
  ] as const)('%s → %s', (_what, expected, desired, everScaled, tasks) => {
    expect(swarmObservedStatus({ desired, everScaled, tasks })).toBe(expected);
  });
});
