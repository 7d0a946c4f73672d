/** Standalone submits without `agents_list`: the cluster's live agents, by the rule of workflows/model/placement.ts. */
import type { LmConfig } from '../common/config';
import { placeInstance, type Placement } from '../workflows/model/placement';
import type { Service } from '../workflows/model/service';
import type { AgentDirectory } from './agent-directory';

export async function placeStandalone(agents: AgentDirectory, service: Service, uuid: string, config: LmConfig): Promise<Placement> {
  const { candidates, placed } = await agents.candidates(service.exec_type);
  const placement = placeInstance(service.exec_type, service.num_agents, candidates, uuid, config.hostIp);
  if (placement.kind === 'placed') placed(placement.agents);
  return placement;
}
