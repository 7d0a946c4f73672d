/**
 * What Docker really holds for a compose project, found by compose's own project label: its containers, their
 * state (observe follows them, not the last command) and the host ports they publish.
 */
import type Docker from 'dockerode';
import type { AgentStatus } from '../../../workflows/model/status';
import { classifyDockerError } from '../docker/docker-errors';

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

export async function projectContainers(docker: Docker, project: string, socket: string): Promise<Docker.ContainerInfo[]> {
  try {
    return await docker.listContainers({ all: true, filters: { label: [`${COMPOSE_PROJECT_LABEL}=${project}`] } });
  } catch (err) {
    throw classifyDockerError(err, `list the containers of compose project ${project}`, socket);
  }
}

/** `Exited (137) 3 seconds ago` → 137. */
function exitCodeOf(container: Docker.ContainerInfo): number | null {
  const match = /^Exited \((-?\d+)\)/.exec(container.Status);
  return match ? Number(match[1]) : null;
}

/** A container that exited non-zero (or is dead / restarting) while its project should be up. */
export function failedContainers(containers: Docker.ContainerInfo[]): Docker.ContainerInfo[] {
  return containers.filter((c) => c.State === 'dead' || c.State === 'restarting' || (c.State === 'exited' && exitCodeOf(c) !== 0));
}

/** Docker's list shows a failing HEALTHCHECK in the status text: `Up 5 seconds (unhealthy)`. */
function isUnhealthy(container: Docker.ContainerInfo): boolean {
  return container.State === 'running' && container.Status.includes('(unhealthy)');
}

/** The agent status the project's containers add up to; null when it has none. */
export function projectStatus(containers: Docker.ContainerInfo[]): AgentStatus | null {
  if (containers.length === 0) return null;
  const running = containers.filter((c) => c.State === 'running');
  if (running.length > 0) return failedContainers(containers).length > 0 || running.some(isUnhealthy) ? 'error' : 'started';
  return containers.every((c) => c.State === 'created') ? 'waiting' : 'stopped';
}

/** Host ports the project's containers bind, as the file asked for them (ephemeral ones are known only once up). */
export async function publishedHostPorts(docker: Docker, containers: Docker.ContainerInfo[], socket: string): Promise<number[]> {
  const ports = new Set<number>();
  const ordered = [...containers].sort((a, b) =>
    (a.Labels[COMPOSE_SERVICE_LABEL] ?? '').localeCompare(b.Labels[COMPOSE_SERVICE_LABEL] ?? ''),
  );
  for (const container of ordered) {
    const info = await inspectProjectContainer(docker, container, socket);
    const bindings = (info.HostConfig.PortBindings ?? {}) as Record<string, Array<{ HostPort?: string }> | null>;
    for (const binding of Object.values(bindings)) {
      for (const { HostPort } of binding ?? []) {
        const port = Number(HostPort);
        if (HostPort && Number.isInteger(port) && port > 0) ports.add(port);
      }
    }
  }
  return [...ports];
}

/** The full record of one of the project's containers (a listing lacks start times and port bindings). */
export async function inspectProjectContainer(
  docker: Docker,
  container: Docker.ContainerInfo,
  socket: string,
): Promise<Docker.ContainerInspectInfo> {
  try {
    return await docker.getContainer(container.Id).inspect();
  } catch (err) {
    throw classifyDockerError(err, `inspect container ${container.Names[0] ?? container.Id}`, socket);
  }
}
