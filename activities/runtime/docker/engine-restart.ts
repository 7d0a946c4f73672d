/**
 * What a restart of the Docker engine leaves behind. dockerd 20.10 does not always start an `unless-stopped`
 * container again: one still running when the engine died (dockerd killed, or stopping while a start was in flight)
 * is stopped by the next engine's restore and left exited, as if someone had stopped it. The LM tells such a
 * container from one stopped while the engine stayed up by when the engine last started: a container exited now
 * whose last start came before it was started by an earlier engine, which ended it going down or coming back.
 */
import { ApplicationFailure } from '@temporalio/common';
import type Docker from 'dockerode';
import { FailureType } from '../../../workflows/model/failures';
import { errorMessage } from '../../failures';
import type { DeployedWorkload, EngineRestartRecovery, RuntimeCall } from '../workload';
import { classifyDockerError, dockerStatus } from './docker-errors';

/**
 * When the engine last started (ms since the epoch), or null if it cannot tell. dockerd makes its default `bridge`
 * network anew at every start (unless live-restore kept containers running, when it keeps the old one and the
 * answer is older: nothing is then taken for left by a restart); an engine without that network (`--bridge=none`)
 * cannot tell.
 */
export async function engineStartedAt(docker: Docker, socket: string): Promise<number | null> {
  let created: string | undefined;
  try {
    created = ((await docker.getNetwork('bridge').inspect()) as { Created?: string }).Created;
  } catch (err) {
    if (dockerStatus(err) === 404) return null;
    throw classifyDockerError(err, 'inspect the default bridge network (when the engine started)', socket);
  }
  const at = created === undefined ? NaN : Date.parse(created);
  return Number.isFinite(at) ? at : null;
}

/** Docker's zero time (`0001-01-01T00:00:00Z`) and anything unreadable: never started. */
function startedAtMs(info: Docker.ContainerInspectInfo): number | null {
  const at = Date.parse(info.State.StartedAt);
  return Number.isFinite(at) && at > 0 ? at : null;
}

/** True for a container exited now that the running engine never started: an engine restart left it exited. Pure. */
export function leftExitedByEngineRestart(info: Docker.ContainerInspectInfo, engineStartMs: number | null): boolean {
  if (engineStartMs === null || info.State.Status !== 'exited' || info.State.Running || info.State.Restarting) return false;
  const started = startedAtMs(info);
  return started !== null && started < engineStartMs;
}

/**
 * Starts again a workload the engine's restart left exited. A start the engine refuses is reported as
 * `start-failed` (the instance says why); the engine away again, or the call cancelled, is thrown, and the next
 * observation asks again.
 */
export async function startAgainAfterEngineRestart(
  engineStartMs: number,
  call: RuntimeCall,
  start: () => Promise<DeployedWorkload | void>,
): Promise<EngineRestartRecovery> {
  try {
    const moved = await start();
    return { outcome: 'started-again', engineStartedAt: new Date(engineStartMs).toISOString(), moved: moved ?? null };
  } catch (err) {
    if (call.signal.aborted || !(err instanceof ApplicationFailure) || err.type === FailureType.RuntimeUnavailable) throw err;
    return { outcome: 'start-failed', message: `the engine restarted and left it exited; starting it failed: ${errorMessage(err)}` };
  }
}
