/**
 * What the swarm really holds for a stack, read through the Docker API by the stack's namespace label: its
 * services (desired, declared and running replicas, published ports), networks, and recently failed tasks.
 */
import type Docker from 'dockerode';
import { classifyDockerError, dockerMessage, dockerStatus, isDockerUnreachable } from '../docker/docker-errors';
import { DECLARED_REPLICAS_LABEL } from './stack-override';

export const STACK_NAMESPACE_LABEL = 'com.docker.stack.namespace';

export interface StackService {
  id: string;
  name: string;
  /** Replicas the service is scaled to now. */
  desired: number;
  /** Replicas the compose file asked for: what start scales back to. */
  declared: number;
  running: number;
  /** True once the service was updated (scaled) after creation: it has been started at least once. */
  updated: boolean;
  publishedPorts: number[];
  labels: Record<string, string>;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** The fields of a swarm task the runtime reads (dockerode leaves tasks untyped). */
interface SwarmTask {
  ServiceID: string;
  CreatedAt?: string;
  Status?: { State?: string; Err?: string; Message?: string };
}

const byLabel = (stack: string) => ({ label: [`${STACK_NAMESPACE_LABEL}=${stack}`] });

export function stackServices(docker: Docker, stack: string, socket: string): Promise<StackService[]> {
  return listStackServices(docker, byLabel(stack).label, `list the services of stack ${stack}`, socket);
}

/** Services carrying every label of `labels` (`key=value` or `key`), read as stack services. */
export async function listStackServices(docker: Docker, labels: string[], what: string, socket: string): Promise<StackService[]> {
  let services: Docker.Service[];
  try {
    services = await docker.listServices({ filters: { label: labels }, status: true });
  } catch (err) {
    throw classifyDockerError(err, what, socket);
  }
  return services
    .map((service) => {
      const labels = service.Spec?.Labels ?? {};
      const declared = Number(labels[DECLARED_REPLICAS_LABEL]);
      return {
        id: service.ID,
        name: service.Spec?.Name ?? service.ID,
        desired: service.Spec?.Mode?.Replicated?.Replicas ?? 0,
        declared: Number.isInteger(declared) && declared >= 0 ? declared : 1,
        running: service.ServiceStatus?.RunningTasks ?? 0,
        updated: service.PreviousSpec !== undefined && service.PreviousSpec !== null,
        publishedPorts: (service.Endpoint?.Ports ?? []).map((p) => p.PublishedPort ?? 0).filter((p) => p > 0),
        labels,
        createdAt: Date.parse(service.CreatedAt ?? '') || 0,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function stackNetworks(docker: Docker, stack: string, socket: string): Promise<string[]> {
  try {
    return (await docker.listNetworks({ filters: byLabel(stack) })).map((n) => n.Name);
  } catch (err) {
    throw classifyDockerError(err, `list the networks of stack ${stack}`, socket);
  }
}

/**
 * Removes the networks of a stack whose services are gone. `docker stack rm` tries them only once, right after
 * removing the services, and gives up while their tasks still hold them ("in use by task"): without this, such a
 * network outlives the stack. A network still in use stays for the next call; returns the names still present.
 */
export async function removeLeftoverNetworks(docker: Docker, stack: string, socket: string): Promise<string[]> {
  const left: string[] = [];
  for (const name of await stackNetworks(docker, stack, socket)) {
    try {
      await docker.getNetwork(name).remove();
    } catch (err) {
      if (dockerStatus(err) === 404) continue;
      if (isDockerUnreachable(err)) throw classifyDockerError(err, `remove network ${name} of stack ${stack}`, socket);
      left.push(`${name} (${dockerMessage(err)})`);
    }
  }
  return left;
}

/** Tasks of `services` that failed or were rejected since `sinceMs`: why a start does not converge. */
export async function failedTasksSince(docker: Docker, services: StackService[], sinceMs: number, socket: string): Promise<string[]> {
  let tasks: SwarmTask[];
  try {
    tasks = (await docker.listTasks({ filters: { service: services.map((s) => s.id) } })) as SwarmTask[];
  } catch (err) {
    throw classifyDockerError(err, 'list swarm tasks', socket);
  }
  const names = new Map(services.map((s) => [s.id, s.name]));
  return tasks
    .filter((t) => ['failed', 'rejected'].includes(t.Status?.State ?? '') && Date.parse(t.CreatedAt ?? '') >= sinceMs)
    .map(
      (t) => `${names.get(t.ServiceID) ?? t.ServiceID}: ${t.Status?.State} (${t.Status?.Err ?? t.Status?.Message ?? 'no reason given'})`,
    );
}
