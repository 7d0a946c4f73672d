/**
 * `kubernetes` workloads (DESIGN §5): a Deployment and a Service named after the workload, in K8S_NAMESPACE.
 * Deploy creates both with 0 replicas (adopting what a previous attempt made); start scales the Deployment to
 * `num_agents` (or 1) and waits until its pods are ready; stop scales it to 0 and waits until no pod is left;
 * remove deletes both. Fixes C1 of spec/original-lm.md §13 (a stub that only ever posted an empty template).
 */
import type { ApplicationFailure } from '@temporalio/common';
import type { V1Deployment, V1ObjectMeta, V1Pod, V1Service } from '@kubernetes/client-node';
import { FailureType } from '../../../workflows/model/failures';
import type { AgentStatus } from '../../../workflows/model/status';
import { failure } from '../../failures';
import {
  belongsTo,
  findOwned,
  identityOf,
  LABEL_CLUSTER,
  LABEL_EXEC_TYPE,
  LABEL_NAMESPACE,
  notLmWorkload,
  refOfIdentity,
  type OwnedLookup,
} from '../labels';
import { pollUntil } from '../poll-until';
import { targetReplicas } from '../target-replicas';
import { DETACHED_CALL } from '../cancellation';
import type {
  DeployedWorkload,
  InstanceHome,
  LabelledWorkload,
  RuntimeCall,
  WorkloadRef,
  WorkloadRuntime,
  WorkloadSpec,
} from '../workload';
import { isScaledDown, kubernetesObservedStatus, rolloutVerdict } from './deployment-rollout';
import { createKubernetesClients, type KubernetesClients } from './kubernetes-clients';
import type { KubernetesConnection } from './kubernetes-connection';
import { classifyKubernetesError, kubernetesStatusCode } from './kubernetes-errors';
import { recordedReplicas } from './kubernetes-metadata';
import { deploymentFor, nodePortsOf, serviceFor } from './kubernetes-objects';
import { notReadyInTime, rolloutFailure } from './rollout-failure';

export interface KubernetesRuntimeOptions {
  connection: KubernetesConnection;
  /** K8S_NAMESPACE: where new workloads go (existing ones stay in the namespace recorded at deploy). */
  namespace: string;
  /** Timeout of each API call. */
  requestTimeoutMs: number;
  /** Longest wait for the pods to be ready after a scale up (image pulls happen in it). */
  startTimeoutMs?: number;
  /** Longest wait for the pods to go after a scale down. */
  stopTimeoutMs?: number;
  pollMs?: number;
}

const DEFAULTS = { startTimeoutMs: 180_000, stopTimeoutMs: 60_000, pollMs: 1_000 };

type Kind = 'Deployment' | 'Service';

export class KubernetesRuntime implements WorkloadRuntime {
  private clients: KubernetesClients | null = null;
  private readonly timing: typeof DEFAULTS;

  constructor(private readonly options: KubernetesRuntimeOptions) {
    this.timing = {
      startTimeoutMs: options.startTimeoutMs ?? DEFAULTS.startTimeoutMs,
      stopTimeoutMs: options.stopTimeoutMs ?? DEFAULTS.stopTimeoutMs,
      pollMs: options.pollMs ?? DEFAULTS.pollMs,
    };
  }

  async deploy(spec: WorkloadSpec): Promise<DeployedWorkload> {
    const { apps, core } = this.api();
    const namespace = this.options.namespace;
    const deployment = await this.createOrAdopt<V1Deployment>('Deployment', spec, namespace, {
      create: () => apps.createNamespacedDeployment({ namespace, body: deploymentFor(spec, namespace) }),
      read: () => apps.readNamespacedDeployment({ name: spec.name, namespace }),
    });
    let service: V1Service;
    try {
      service = await this.createOrAdopt<V1Service>('Service', spec, namespace, {
        create: () => core.createNamespacedService({ namespace, body: serviceFor(spec, namespace) }),
        read: () => core.readNamespacedService({ name: spec.name, namespace }),
      });
    } catch (err) {
      // A failed deploy leaves the agent without a workload to terminate: take the Deployment back, or it is orphaned.
      if ((err as Partial<ApplicationFailure> | null)?.nonRetryable === true) {
        await apps.deleteNamespacedDeployment({ name: spec.name, namespace }).catch(() => undefined);
      }
      throw err;
    }
    // The namespace travels with the workload, so later operations find it even if K8S_NAMESPACE changes.
    return {
      container_id: deployment.metadata?.uid ?? spec.name,
      ports: nodePortsOf(service, spec.service.exec_ports),
      agent_param: namespace,
    };
  }

  async start(ref: WorkloadRef, call: RuntimeCall = DETACHED_CALL): Promise<void> {
    const namespace = this.namespaceOf(ref);
    const current = await this.readDeployment(ref, namespace);
    const target = recordedReplicas(current.metadata?.annotations) ?? targetReplicas(ref.service);
    await this.scale(ref, namespace, current, target);
    const outcome = await pollUntil(
      async () => {
        const deployment = await this.readDeployment(ref, namespace);
        const verdict = rolloutVerdict(deployment, await this.podsOf(ref, namespace), target);
        if (verdict.kind === 'ready') return { done: true, value: null };
        if (verdict.kind === 'failed') return { done: true, value: rolloutFailure(ref, namespace, verdict.problem) };
        return { done: false, seen: verdict.detail };
      },
      { timeoutMs: this.timing.startTimeoutMs, everyMs: this.timing.pollMs, signal: call.signal },
    );
    const problem: ApplicationFailure | null = outcome.settled
      ? outcome.value
      : notReadyInTime(ref, namespace, this.timing.startTimeoutMs, outcome.lastSeen);
    if (problem === null) return;
    // The kubelet would retry the pods forever: scale back so what runs matches the reported error.
    await this.readDeployment(ref, namespace)
      .then((deployment) => this.scale(ref, namespace, deployment, 0))
      .catch(() => undefined);
    throw problem;
  }

  async stop(ref: WorkloadRef, call: RuntimeCall = DETACHED_CALL): Promise<void> {
    const namespace = this.namespaceOf(ref);
    await this.scale(ref, namespace, await this.readDeployment(ref, namespace), 0);
    const outcome = await pollUntil(
      async () => {
        const deployment = await this.readDeployment(ref, namespace);
        return isScaledDown(deployment)
          ? { done: true, value: null }
          : { done: false, seen: `${deployment.status?.replicas ?? 0} pod(s) left` };
      },
      { timeoutMs: this.timing.stopTimeoutMs, everyMs: this.timing.pollMs, signal: call.signal },
    );
    if (!outcome.settled) {
      throw failure(
        FailureType.RuntimeUnavailable,
        `Deployment ${ref.name} in namespace ${namespace} still has ${outcome.lastSeen} ${Math.round(this.timing.stopTimeoutMs / 1000)} s ` +
          `after scaling to 0; the cluster is slow or a node is unreachable`,
      );
    }
  }

  async remove(ref: WorkloadRef): Promise<void> {
    const { apps, core } = this.api();
    const namespace = this.namespaceOf(ref);
    // Both are judged before either is deleted: a refusal leaves everything as it was.
    const deployment = await this.findOwned(
      ref,
      this.lookup('Deployment', namespace, (name) => apps.readNamespacedDeployment({ name, namespace })),
    );
    const service = await this.findOwned(
      ref,
      this.lookup('Service', namespace, (name) => core.readNamespacedService({ name, namespace })),
    );
    if (deployment !== null) {
      await this.deleteIgnoringMissing('Deployment', ref, namespace, () => apps.deleteNamespacedDeployment({ name: ref.name, namespace }));
    }
    if (service !== null) {
      await this.deleteIgnoringMissing('Service', ref, namespace, () => core.deleteNamespacedService({ name: ref.name, namespace }));
    }
  }

  async observe(ref: WorkloadRef): Promise<AgentStatus> {
    try {
      const namespace = this.namespaceOf(ref);
      const deployment = await this.readDeployment(ref, namespace);
      const status = kubernetesObservedStatus(deployment);
      // Short of ready pods: their state tells a rollout in progress from a crash loop.
      return status === 'unknown' ? kubernetesObservedStatus(deployment, await this.podsOf(ref, namespace)) : status;
    } catch (err) {
      // Gone or refused: error; not reachable: unknown (the original's "??").
      const type = (err as Partial<ApplicationFailure> | null)?.type;
      if (type === FailureType.RuntimeUnavailable) return 'unknown';
      if (type !== undefined) return 'error';
      throw err;
    }
  }

  /** The original LM never ran Kubernetes workloads: there is no container id of one for it to name. */
  async identify(ref: WorkloadRef): Promise<WorkloadRef | null> {
    throw notLmWorkload(
      'Deployment',
      ref.container_id,
      ref,
      'a kubernetes workload is named by its service_instance, not by a container id',
    );
  }

  /** The LM's Deployments for instances of `home`: in every namespace, or in K8S_NAMESPACE where that is all the LM may list. */
  async labelled(home: InstanceHome): Promise<LabelledWorkload[]> {
    const { apps } = this.api();
    const labelSelector = `${LABEL_CLUSTER}=${home.clusterId},${LABEL_NAMESPACE}=${home.namespace}`;
    let deployments: V1Deployment[];
    try {
      deployments = (await apps.listDeploymentForAllNamespaces({ labelSelector })).items;
    } catch (err) {
      if (kubernetesStatusCode(err) !== 403) throw this.classify(err, 'list the LM Deployments', this.options.namespace);
      try {
        deployments = (await apps.listNamespacedDeployment({ namespace: this.options.namespace, labelSelector })).items;
      } catch (inner) {
        throw this.classify(inner, 'list the LM Deployments', this.options.namespace);
      }
    }
    const found: LabelledWorkload[] = [];
    for (const deployment of deployments) {
      const identity = identityOf(deployment.metadata?.annotations);
      const namespace = deployment.metadata?.namespace;
      if (identity === null || namespace === undefined || deployment.metadata?.annotations?.[LABEL_EXEC_TYPE] !== 'kubernetes') continue;
      const created = deployment.metadata?.creationTimestamp;
      found.push({
        ref: refOfIdentity(identity, 'kubernetes', { agent_param: namespace }),
        createdAt: created === undefined ? 0 : new Date(created).getTime(),
        describe: `Deployment ${deployment.metadata?.name ?? '?'} in namespace ${namespace}`,
      });
    }
    return found;
  }

  /** Objects of one kind in one namespace, by name, judged by their annotations (which hold every LM label verbatim). */
  private lookup<T extends { metadata?: V1ObjectMeta }>(kind: Kind, namespace: string, read: (name: string) => Promise<T>): OwnedLookup<T> {
    return {
      kind: `${kind} (namespace ${namespace})`,
      find: async (name) => {
        try {
          return await read(name);
        } catch (err) {
          if (kubernetesStatusCode(err) === 404) return null;
          throw this.classify(err, `read ${kind} ${name}`, namespace);
        }
      },
      labelsOf: (object) => [object.metadata?.annotations],
    };
  }

  /** By name only: the recorded `container_id` of a Deployment is its uid, which names nothing. */
  private findOwned<T>(ref: WorkloadRef, lookup: OwnedLookup<T>): Promise<T | null> {
    return findOwned({ ...ref, container_id: '-' }, lookup);
  }

  /** Clients are made on first use: an LM that never runs a kubernetes workload never loads client-node. */
  private api(): KubernetesClients {
    this.clients ??= createKubernetesClients(this.options.connection, this.options.requestTimeoutMs);
    return this.clients;
  }

  private namespaceOf(ref: WorkloadRef): string {
    return ref.agent_param && ref.agent_param !== '-' ? ref.agent_param : this.options.namespace;
  }

  private async createOrAdopt<T extends { metadata?: V1ObjectMeta }>(
    kind: Kind,
    spec: WorkloadSpec,
    namespace: string,
    calls: { create: () => Promise<T>; read: () => Promise<T> },
  ): Promise<T> {
    try {
      return await calls.create();
    } catch (err) {
      if (kubernetesStatusCode(err) !== 409) throw this.classify(err, `create ${kind} ${spec.name}`, namespace);
    }
    // AlreadyExists: a previous attempt made it (adopt), or someone else did (refuse).
    let existing: T;
    try {
      existing = await calls.read();
    } catch (err) {
      throw this.classify(err, `read the existing ${kind} ${spec.name}`, namespace);
    }
    if (!belongsTo(existing.metadata?.annotations, spec)) {
      throw failure(
        FailureType.InvalidSpec,
        `a ${kind} named ${spec.name} exists in namespace ${namespace} but was not made for this instance; ` +
          `delete it ("kubectl delete ${kind.toLowerCase()} ${spec.name} -n ${namespace}")`,
      );
    }
    return existing;
  }

  private async readDeployment(ref: WorkloadRef, namespace: string): Promise<V1Deployment> {
    const { apps } = this.api();
    const deployment = await this.findOwned(
      ref,
      this.lookup('Deployment', namespace, (name) => apps.readNamespacedDeployment({ name, namespace })),
    );
    if (deployment === null) throw this.missing(ref, namespace);
    return deployment;
  }

  /** Nothing is written when the Deployment already has `replicas`: a retried start or stop disturbs nothing. */
  private async scale(ref: WorkloadRef, namespace: string, current: V1Deployment, replicas: number): Promise<void> {
    if (current.spec?.replicas === replicas) return;
    const { apps, mergePatch } = this.api();
    try {
      await apps.patchNamespacedDeployment({ name: ref.name, namespace, body: { spec: { replicas } } }, mergePatch);
    } catch (err) {
      if (kubernetesStatusCode(err) === 404) throw this.missing(ref, namespace);
      throw this.classify(err, `scale Deployment ${ref.name} to ${replicas}`, namespace);
    }
  }

  /** Pods only explain a slow start (image pulls, crashes); a user who may not list them still gets a start. */
  private async podsOf(ref: WorkloadRef, namespace: string): Promise<V1Pod[]> {
    try {
      return (await this.api().core.listNamespacedPod({ namespace, labelSelector: `app=${ref.name}` })).items;
    } catch {
      return [];
    }
  }

  private async deleteIgnoringMissing(kind: Kind, ref: WorkloadRef, namespace: string, remove: () => Promise<unknown>): Promise<void> {
    try {
      await remove();
    } catch (err) {
      if (kubernetesStatusCode(err) !== 404) throw this.classify(err, `delete ${kind} ${ref.name}`, namespace);
    }
  }

  private classify(err: unknown, what: string, namespace: string): ApplicationFailure {
    return classifyKubernetesError(err, { what, namespace, server: this.api().server });
  }

  private missing(ref: WorkloadRef, namespace: string): ApplicationFailure {
    return failure(
      FailureType.WorkloadMissing,
      `Deployment ${ref.name} no longer exists in namespace ${namespace} (deleted outside the LM); terminate the instance and submit it again`,
    );
  }
}
