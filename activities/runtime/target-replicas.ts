/** How many replicas a replicated workload (swarm service, Kubernetes Deployment) runs once started. */
import type { Service } from '../../workflows/model/service';

/** `num_agents` when given; the original's "unspecified" (-1, 0) means one replica. */
export function targetReplicas(service: Pick<Service, 'num_agents'>): number {
  const wanted = service.num_agents;
  return Number.isInteger(wanted) && wanted > 0 ? wanted : 1;
}
