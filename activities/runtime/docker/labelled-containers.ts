/** The containers the LM labelled for instances of one Temporal cluster and namespace (the agent's sweep's view). */
import type Docker from 'dockerode';
import type { ExecType } from '../../../workflows/model/service';
import { identityOf, LABEL_CLUSTER, LABEL_EXEC_TYPE, LABEL_NAMESPACE, refOfIdentity } from '../labels';
import type { InstanceHome, LabelledWorkload } from '../workload';
import { classifyDockerError } from './docker-errors';
import { listedStatus } from './container-status';

export function homeFilters(home: InstanceHome): string[] {
  return [`${LABEL_CLUSTER}=${home.clusterId}`, `${LABEL_NAMESPACE}=${home.namespace}`];
}

export async function homeContainers(docker: Docker, home: InstanceHome, socket: string): Promise<Docker.ContainerInfo[]> {
  try {
    return await docker.listContainers({ all: true, filters: { label: homeFilters(home) } });
  } catch (err) {
    throw classifyDockerError(err, 'list the LM containers', socket);
  }
}

/** One workload per container, for the runtimes whose workload is a single container. */
export async function labelledContainers(
  docker: Docker,
  home: InstanceHome,
  execTypes: readonly ExecType[],
  socket: string,
): Promise<LabelledWorkload[]> {
  const found: LabelledWorkload[] = [];
  for (const container of await homeContainers(docker, home, socket)) {
    const execType = execTypes.find((type) => type === container.Labels[LABEL_EXEC_TYPE]);
    const identity = identityOf(container.Labels);
    if (execType === undefined || identity === null) continue;
    found.push({
      ref: refOfIdentity(identity, execType, { container_id: container.Id }),
      createdAt: container.Created * 1000,
      describe: `container ${container.Names[0]?.replace(/^\//, '') ?? container.Id.slice(0, 12)}`,
      observed: listedStatus(container),
    });
  }
  return found;
}
