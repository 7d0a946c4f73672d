/**
 * What a service's tasks say, read the way `start`, `stop` and `observe` need it. Pure: the runtime feeds it
 * the Engine's task list, unit tests feed it recorded ones.
 */
import { engineTimeNs } from './engine-time';
import type { SwarmTask } from './swarm-api-types';

/** Task states on the way to running, or running: a task in one of them still holds (or will hold) a container. */
const ACTIVE_STATES = new Set(['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running']);
/** A task that ended on its own: its container could not be made, or its command stopped. */
const ENDED_STATES = new Set(['failed', 'rejected', 'complete']);

export interface TaskProblem {
  state: 'failed' | 'rejected' | 'complete';
  /** The Engine's own words: `Err` (e.g. "No such image: …"), else its status message. */
  message: string;
  exitCode: number | null;
}

export interface TaskSummary {
  /** Tasks whose container runs and is meant to run. */
  running: number;
  /** Tasks that still hold, or are about to hold, a container. */
  active: number;
  /** Tasks that ended on their own since the service's last update, newest first. */
  problems: TaskProblem[];
  /** One line for messages, e.g. "1 running, 1 preparing". */
  detail: string;
}

export function summariseTasks(tasks: readonly SwarmTask[], serviceUpdatedAt: string): TaskSummary {
  const since = engineTimeNs(serviceUpdatedAt);
  const current = tasks.filter((task) => engineTimeNs(task.CreatedAt) >= since);
  const problems = current
    .filter((task) => ENDED_STATES.has(task.Status.State))
    .sort((a, b) => (engineTimeNs(b.CreatedAt) > engineTimeNs(a.CreatedAt) ? 1 : -1))
    .map((task): TaskProblem => ({
      state: task.Status.State as TaskProblem['state'],
      message: task.Status.Err || task.Status.Message || task.Status.State,
      exitCode: task.Status.ContainerStatus?.ExitCode ?? null,
    }));
  const running = tasks.filter((task) => task.Status.State === 'running' && task.DesiredState === 'running').length;
  const active = tasks.filter((task) => ACTIVE_STATES.has(task.Status.State)).length;
  return { running, active, problems, detail: describeStates(current.length > 0 ? current : tasks) };
}

function describeStates(tasks: readonly SwarmTask[]): string {
  if (tasks.length === 0) return 'no task yet';
  const counts = new Map<string, number>();
  for (const task of tasks) {
    const message = task.Status.Err || (task.Status.State === 'pending' ? task.Status.Message : '');
    const key = message ? `${task.Status.State} (${message})` : task.Status.State;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([state, count]) => `${count} ${state}`).join(', ');
}

export type StartVerdict = { kind: 'running' } | { kind: 'failed'; problem: TaskProblem } | { kind: 'waiting'; detail: string };

/** Enough running tasks wins over earlier failures: swarm replaced them and the service runs. */
export function startVerdict(summary: TaskSummary, target: number): StartVerdict {
  if (summary.running >= target) return { kind: 'running' };
  const [latest] = summary.problems;
  if (latest) return { kind: 'failed', problem: latest };
  return { kind: 'waiting', detail: summary.detail };
}
