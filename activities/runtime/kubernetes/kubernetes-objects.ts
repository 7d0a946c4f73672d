/**
 * The Deployment and the Service the LM creates for one agent of a `kubernetes` instance (pure, unit-tested).
 * Fixes C1 of spec/original-lm.md §13: the image is the service's `exec`, names are valid DNS labels.
 */
import type { V1Deployment, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { targetReplicas } from '../target-replicas';
import type { WorkloadSpec } from '../workload';
import { kubernetesAnnotations, kubernetesLabels } from './kubernetes-metadata';

/** The one container of the pod; pod names already say which workload they belong to. */
export const CONTAINER_NAME = 'workload';

/** IANA service name (at most 15 characters, a letter included), as port names must be. */
export function portName(port: number): string {
  return `tcp-${port}`;
}

export function deploymentFor(spec: WorkloadSpec, namespace: string): V1Deployment {
  const labels = kubernetesLabels(spec);
  const annotations = kubernetesAnnotations(spec, targetReplicas(spec.service));
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: spec.name, namespace, labels, annotations },
    spec: {
      // Created without pods: deploy must not start anything; start scales to the annotated replicas.
      replicas: 0,
      selector: { matchLabels: { app: spec.name } },
      template: {
        metadata: { labels, annotations },
        spec: {
          containers: [
            {
              name: CONTAINER_NAME,
              image: spec.service.exec,
              // Images loaded on the nodes (no registry) must be used as they are, even when tagged :latest.
              imagePullPolicy: 'IfNotPresent',
              tty: true,
              ports: [...new Set(spec.service.exec_ports)].map((port) => ({ name: portName(port), containerPort: port, protocol: 'TCP' })),
            },
          ],
        },
      },
    },
  };
}

/**
 * NodePort, so the service is reachable from outside the cluster like the other runtimes' published ports
 * (Kubernetes picks the node ports, 30000–32767: the original's port rule cannot apply). No ports: a headless
 * Service, which still gives the pods a DNS name (a Service of another type needs at least one port).
 */
export function serviceFor(spec: WorkloadSpec, namespace: string): V1Service {
  // A port listed twice is one Service port (Kubernetes refuses duplicates).
  const ports: V1ServicePort[] = [...new Set(spec.service.exec_ports)].map((port) => ({
    name: portName(port),
    protocol: 'TCP',
    port,
    targetPort: port,
  }));
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: spec.name,
      namespace,
      labels: kubernetesLabels(spec),
      annotations: kubernetesAnnotations(spec, targetReplicas(spec.service)),
    },
    spec:
      ports.length > 0 ? { type: 'NodePort', selector: { app: spec.name }, ports } : { clusterIP: 'None', selector: { app: spec.name } },
  };
}

/** The node ports Kubernetes allocated, one per entry of `execPorts` (the agent's `ports`). */
export function nodePortsOf(service: V1Service, execPorts: readonly number[]): number[] {
  const byPort = new Map((service.spec?.ports ?? []).map((port) => [port.port, port.nodePort ?? 0]));
  return execPorts.map((port) => byPort.get(port) ?? 0).filter((port) => port > 0);
}
