/** The agent status a swarm service's real state amounts to (pure). */
import type { AgentStatus } from '../../../workflows/model/status';
import type { TaskSummary } from './task-summary';

export interface SwarmServiceState {
  /** Replicas the service is asked to run now. */
  desired: number;
  /** False until the first scale: a service never started is `waiting`, not `stopped`. */
  everScaled: boolean;
  tasks: TaskSummary;
}

export function swarmObservedStatus({ desired, everScaled, tasks }: SwarmServiceState): AgentStatus {
  if (desired === 0) return everScaled ? 'stopped' : 'waiting';
  if (tasks.running >= desired) return 'started';
  // Short of replicas: failed if its tasks end on their own, else still converging (never "started").
  return tasks.problems.length > 0 ? 'error' : 'unknown';
}
