/**
 * The agent status a container adds up to, from an inspect (what observe reports) or from a listing (what the
 * agent's sweep screens with: it shows no restart count, so a container Docker restarted after a crash looks
 * running there; the Docker event of that crash tells its instance).
 */
import type Docker from 'dockerode';
import type { AgentStatus } from '../../../workflows/model/status';

interface ContainerFacts {
  /** Docker's state word: created, running, paused, restarting, exited, dead. */
  state: string;
  unhealthy: boolean;
  /** Restarts by its restart policy since it was last started by hand (the LM's start resets it); null: not known. */
  restarts: number | null;
}

function statusOf({ state, unhealthy, restarts }: ContainerFacts): AgentStatus {
  // Crashed since the LM started it, whether Docker has brought it back yet or not: not a service that holds.
  if (state === 'restarting' || (restarts ?? 0) > 0) return 'error';
  // A container whose own HEALTHCHECK fails runs, but does not serve: it is not `started`.
  if (state === 'running' || state === 'paused') return unhealthy ? 'error' : 'started';
  return state === 'created' ? 'waiting' : 'stopped';
}

export function inspectedStatus(info: Docker.ContainerInspectInfo): AgentStatus {
  const state = info.State.Restarting ? 'restarting' : info.State.Status;
  return statusOf({ state, unhealthy: info.State.Health?.Status === 'unhealthy', restarts: info.RestartCount ?? 0 });
}

/** Docker's list shows a failing HEALTHCHECK in the status text: `Up 5 seconds (unhealthy)`. */
export function listedStatus(container: Docker.ContainerInfo): AgentStatus {
  return statusOf({ state: container.State, unhealthy: container.Status.includes('(unhealthy)'), restarts: null });
}
