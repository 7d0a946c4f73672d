/** The swarm service the LM creates for one agent of a `docker-swarm` instance (pure, so it is unit-tested). */
import type Docker from 'dockerode';
import { workloadLabels } from '../labels';
import type { PortMapping } from '../docker/port-rule';
import { targetReplicas } from '../target-replicas';
import type { WorkloadSpec } from '../workload';

/** Replicas `start` scales to: decided once at deploy, so start, observe and an adopting retry agree. */
export const LABEL_REPLICAS = 'lm.replicas';

const SECOND_NS = 1_000_000_000;
/** As `docker stop`'s default: the service gets SIGTERM, then SIGKILL after this. */
const STOP_GRACE_NS = 10 * SECOND_NS;
const RESTART_DELAY_NS = 5 * SECOND_NS;

export function swarmServiceSpec(spec: WorkloadSpec, mappings: readonly PortMapping[]): Docker.CreateServiceOptions {
  const labels = workloadLabels(spec);
  return {
    Name: spec.name,
    Labels: { ...labels, [LABEL_REPLICAS]: String(targetReplicas(spec.service)) },
    TaskTemplate: {
      // The image's own command, as the original (which passed an empty command); labels let cleanup find the containers.
      ContainerSpec: { Image: spec.service.exec, TTY: true, Labels: labels, StopGracePeriod: STOP_GRACE_NS },
      // A crashed task is replaced, as `unless-stopped` does for docker containers; scaling to 0 still stops it.
      RestartPolicy: { Condition: 'any', Delay: RESTART_DELAY_NS },
    },
    // Created without replicas: deploy must not start anything; start scales to LABEL_REPLICAS.
    Mode: { Replicated: { Replicas: 0 } },
    EndpointSpec: {
      Mode: 'vip',
      Ports: mappings.map(({ container, host }) => ({
        Protocol: 'tcp',
        TargetPort: container,
        PublishedPort: host,
        PublishMode: 'ingress',
      })),
    },
  };
}

/** The replicas recorded at deploy, or null when the label is missing or not a positive integer. */
export function recordedReplicas(labels: Record<string, string> | undefined): number | null {
  const value = Number(labels?.[LABEL_REPLICAS]);
  return Number.isInteger(value) && value > 0 ? value : null;
}

/** Host ports of a service, in the order of its endpoint spec (which is the order of the service's ports). */
export function publishedPortsOf(spec: Docker.ServiceSpec): number[] {
  return (spec.EndpointSpec?.Ports ?? []).map((port) => port.PublishedPort ?? 0).filter((port) => port > 0);
}
