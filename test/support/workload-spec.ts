/** WorkloadSpecs and refs as the workflow builds them, for tests that drive a runtime class directly. */
import { randomUUID } from 'node:crypto';
import type { DeployedWorkload, WorkloadRef, WorkloadSpec } from '../../activities/runtime/workload';
import { workloadName } from '../../workflows/model/instance';
import type { Service } from '../../workflows/model/service';
import { BUSYBOX_IMAGE } from './test-images';

export function workloadSpec(service: Partial<Service> & Pick<Service, 'exec_type'>, agentUrl = '127.0.0.1'): WorkloadSpec {
  const uuid = randomUUID();
  return {
    instanceUuid: uuid,
    agentIndex: 0,
    agentUrl,
    name: workloadName(uuid, 0),
    deviceIp: agentUrl,
    service: {
      name: 'web',
      exec: BUSYBOX_IMAGE,
      exec_ports: [],
      category: 0,
      num_agents: -1,
      agent_type: 'normal',
      ...service,
    },
  };
}

export function refOf(spec: WorkloadSpec, deployed: DeployedWorkload): WorkloadRef {
  return { ...spec, ...deployed };
}
