/** What a runtime deploys on one agent, and the handle it returns for later operations. */
import type { Service } from '../../workflows/model/service';
import type { AgentStatus } from '../../workflows/model/status';

export interface WorkloadSpec {
  instanceUuid: string;
  agentIndex: number;
  agentUrl: string;
  service: Service;
  /** The workload's deterministic name (`workloadName`). */
  name: string;
  /** `device_ip` of the instance: COMPSs builds DATACLAY_EP from it. */
  deviceIp: string;
}

export interface DeployedWorkload {
  container_id: string;
  /** Host-side ports, in the order of the service's ports. */
  ports: number[];
  agent_param: string;
}

export type WorkloadRef = WorkloadSpec & DeployedWorkload;

/** One runtime (docker, compose, swarm, kubernetes…). Every method is idempotent. */
export interface WorkloadRuntime {
  /** Creates the workload without starting it, or adopts the one a previous attempt made. */
  deploy(spec: WorkloadSpec): Promise<DeployedWorkload>;
  /**
   * Starts the workload. A runtime that had to move it (a host port taken since deploy) returns where it now
   * is; the workflow records that in the agent.
   */
  start(ref: WorkloadRef): Promise<DeployedWorkload | void>;
  stop(ref: WorkloadRef): Promise<void>;
  /** Removes the workload and releases what it held; a missing workload is not an error. */
  remove(ref: WorkloadRef): Promise<void>;
  /** The workload's real state, for a status that follows the runtime rather than the last command. */
  observe(ref: WorkloadRef): Promise<AgentStatus>;
}
