/**
 * A stand-in for the Deployment controller and the kubelets of the fake Kubernetes API: after each change to a
 * Deployment it reports the pods as created and ready (optionally after a delay), or, when told so, keeps them
 * waiting with a container reason such as ImagePullBackOff. Pods are derived from the Deployments, not stored.
 */
import { createHash } from 'node:crypto';
import { DEPLOYMENTS, type KubernetesStore, type StoredObject } from './kubernetes-store';
import { isRecord, type JsonObject } from './json-values';

export interface PodWaiting {
  reason: string;
  message?: string;
}

export class DeploymentController {
  private readyDelayMs: number;
  private waiting: PodWaiting | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly store: KubernetesStore,
    readyDelayMs: number,
  ) {
    this.readyDelayMs = readyDelayMs;
  }

  setReadyDelay(ms: number): void {
    this.readyDelayMs = ms;
  }

  /** null: pods become ready; otherwise every pod's container keeps waiting for this reason. */
  setPodsWaiting(waiting: PodWaiting | null): void {
    this.waiting = waiting;
    for (const deployment of this.store.list(DEPLOYMENTS)) this.changed(deployment);
  }

  /** Called after every write of a Deployment's spec: the status follows after the delay. */
  changed(deployment: StoredObject): void {
    const { namespace, name } = deployment.metadata;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const current = this.store.get(DEPLOYMENTS, namespace, name);
      if (current) this.store.setStatus(DEPLOYMENTS, current, this.statusOf(current));
    }, this.readyDelayMs);
    this.timers.add(timer);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** The pods of a Deployment as the kubelets would report them now. */
  podsOf(deployment: StoredObject): JsonObject[] {
    const replicas = typeof deployment.spec.replicas === 'number' ? deployment.spec.replicas : 1;
    const observed = deployment.status.observedGeneration === deployment.metadata.generation;
    const template = isRecord(deployment.spec.template) ? deployment.spec.template : {};
    const templateMeta = isRecord(template.metadata) ? template.metadata : {};
    const podSpec = isRecord(template.spec) ? template.spec : {};
    const containers = (Array.isArray(podSpec.containers) ? podSpec.containers : []).filter(isRecord);
    const hash = createHash('sha256').update(deployment.metadata.uid).digest('hex').slice(0, 10);
    return Array.from({ length: replicas }, (_, index) => {
      const waiting = this.waiting ?? (observed ? null : { reason: 'ContainerCreating' });
      return {
        metadata: {
          name: `${deployment.metadata.name}-${hash}-${index.toString(36).padStart(5, 'x')}`,
          namespace: deployment.metadata.namespace,
          labels: isRecord(templateMeta.labels) ? templateMeta.labels : {},
        },
        spec: podSpec,
        status: {
          phase: waiting ? 'Pending' : 'Running',
          conditions: [
            { type: 'PodScheduled', status: 'True' },
            { type: 'Ready', status: waiting ? 'False' : 'True' },
          ],
          containerStatuses: containers.map((container) => ({
            name: container.name,
            image: container.image,
            imageID: '',
            ready: waiting === null,
            restartCount: 0,
            started: waiting === null,
            state: waiting ? { waiting } : { running: { startedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } },
          })),
        },
      };
    });
  }

  /** Counts that are 0 are left out, as the real controller does. */
  private statusOf(deployment: StoredObject): JsonObject {
    const replicas = typeof deployment.spec.replicas === 'number' ? deployment.spec.replicas : 1;
    const ready = this.waiting === null ? replicas : 0;
    const counts: JsonObject = {
      replicas,
      updatedReplicas: replicas,
      readyReplicas: ready,
      availableReplicas: ready,
      unavailableReplicas: replicas - ready,
    };
    for (const [field, value] of Object.entries(counts)) if (value === 0) delete counts[field];
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return {
      observedGeneration: deployment.metadata.generation,
      ...counts,
      conditions: [
        ready >= replicas
          ? {
              type: 'Available',
              status: 'True',
              reason: 'MinimumReplicasAvailable',
              message: 'Deployment has minimum availability.',
              lastUpdateTime: now,
              lastTransitionTime: now,
            }
          : {
              type: 'Available',
              status: 'False',
              reason: 'MinimumReplicasUnavailable',
              message: 'Deployment does not have minimum availability.',
              lastUpdateTime: now,
              lastTransitionTime: now,
            },
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${deployment.metadata.name}" has successfully progressed.`,
          lastUpdateTime: now,
          lastTransitionTime: now,
        },
      ],
    };
  }
}
