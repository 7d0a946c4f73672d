/**
 * The parts of the Engine's swarm JSON the swarm runtime reads. dockerode types `inspect()` and `listTasks()`
 * as `any`; these interfaces are what the Engine API (v1.41) documents for those answers.
 */
import type Docker from 'dockerode';

export interface SwarmServiceInfo {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: Docker.ServiceSpec;
  /** Present once the service has been updated (scaled) at least once. */
  PreviousSpec?: Docker.ServiceSpec;
  Endpoint?: { Ports?: Docker.PortConfig[] };
}

export interface SwarmTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  CreatedAt: string;
  /** What the orchestrator wants: `running`, `ready`, `shutdown`, `remove`. */
  DesiredState: string;
  Status: {
    /** new … running, complete, shutdown, failed, rejected, remove, orphaned */
    State: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
  };
}

export function replicasOf(service: SwarmServiceInfo): number {
  return service.Spec.Mode?.Replicated?.Replicas ?? 0;
}
