/**
 * What a settled instance concludes when a runtime reports an agent differently from what the LM recorded
 * (a container that crashed, was stopped or removed by hand, or came back): DESIGN §3 says never to report
 * `started` for an agent that is not running, so the runtime wins. Pure.
 */
import type { AgentStatus, InstanceStatus } from './status';

/** Settled statuses in which the agents are compared with their runtime (otherwise an operation decides them). */
export const OBSERVED_IN: readonly InstanceStatus[] = ['started', 'degraded', 'stopped', 'error'];

export interface ObservedChange {
  status: AgentStatus;
  error: string | null;
  /** For the timeline: what was found, and what the user can do. */
  message: string;
}

const IDLE: readonly AgentStatus[] = ['stopped', 'waiting'];

function found(observed: AgentStatus): string {
  if (observed === 'error') return 'missing, failing or unhealthy';
  return IDLE.includes(observed) ? 'not running' : observed;
}

/** Null when the observation changes nothing the instance reports. */
export function reconcileObserved(recorded: AgentStatus, observed: AgentStatus, name: string): ObservedChange | null {
  if (observed === recorded || observed === 'unknown') return null;
  if (recorded === 'unknown') {
    // Its agent's LM was lost and is back: what runs now is the truth, whatever it was before.
    const error =
      observed === 'error'
        ? `${name} is ${found(observed)} on the runtime now that its agent is back: start or restart the instance, or terminate it`
        : null;
    return {
      status: observed,
      error,
      message: error ?? `${name} is ${observed === 'started' ? 'running' : found(observed)} on the runtime now that its agent is back`,
    };
  }
  if (observed === 'started') {
    return { status: 'started', error: null, message: `${name} is running on the runtime (recorded ${recorded}): the instance follows it` };
  }
  const broken = recorded === 'started' || (IDLE.includes(recorded) && observed === 'error');
  if (!broken) return null;
  const error = `${name} is ${found(observed)} on the runtime although the LM ${recorded === 'started' ? 'started' : 'stopped'} it (changed outside the LM or crashed): start or restart the instance, or terminate it`;
  return { status: 'error', error, message: error };
}
