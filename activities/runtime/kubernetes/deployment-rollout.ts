/**
 * Reads a Deployment (and its pods) the way `start`, `stop` and `observe` need it (pure). Status fields count
 * only once the controller has seen the latest spec (`observedGeneration`), so a read right after a scale
 * never passes for its result.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { AgentStatus } from '../../../workflows/model/status';

export type RolloutProblemKind = 'image' | 'crash' | 'config' | 'refused' | 'stalled';

export interface RolloutProblem {
  kind: RolloutProblemKind;
  /** Kubernetes' own words, with the pod it came from. */
  message: string;
}

export type RolloutVerdict = { kind: 'ready' } | { kind: 'failed'; problem: RolloutProblem } | { kind: 'waiting'; detail: string };

/** Container waiting reasons the kubelet will not get past by itself. */
const STUCK_REASONS: Record<string, RolloutProblemKind> = {
  ImagePullBackOff: 'image',
  InvalidImageName: 'image',
  ErrImageNeverPull: 'image',
  CrashLoopBackOff: 'crash',
  CreateContainerConfigError: 'config',
  CreateContainerError: 'config',
};

function isObserved(deployment: V1Deployment): boolean {
  return (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
}

/** ReplicaFailure (quota, admission) or a passed progress deadline: the controller itself gave up. */
function conditionProblem(deployment: V1Deployment): RolloutProblem | null {
  for (const condition of deployment.status?.conditions ?? []) {
    if (condition.type === 'ReplicaFailure' && condition.status === 'True') {
      return { kind: 'refused', message: `${condition.reason ?? 'ReplicaFailure'}: ${condition.message ?? ''}`.trim() };
    }
    if (condition.type === 'Progressing' && condition.status === 'False' && condition.reason === 'ProgressDeadlineExceeded') {
      return { kind: 'stalled', message: condition.message ?? 'progress deadline exceeded' };
    }
  }
  return null;
}

function podProblem(pods: readonly V1Pod[]): RolloutProblem | null {
  for (const pod of pods) {
    for (const container of pod.status?.containerStatuses ?? []) {
      const reason = container.state?.waiting?.reason;
      const kind = reason === undefined ? undefined : STUCK_REASONS[reason];
      if (kind === undefined) continue;
      const exitCode = container.lastState?.terminated?.exitCode;
      const exit = kind === 'crash' && exitCode !== undefined ? ` (exit code ${exitCode})` : '';
      const detail = container.state?.waiting?.message ? `: ${container.state.waiting.message}` : '';
      return { kind, message: `pod ${pod.metadata?.name ?? '?'}: ${reason}${exit}${detail}` };
    }
  }
  return null;
}

/** e.g. "0/2 ready; pod lm-…-x: ContainerCreating". */
function describeProgress(deployment: V1Deployment, pods: readonly V1Pod[], target: number): string {
  const ready = isObserved(deployment) ? (deployment.status?.readyReplicas ?? 0) : 0;
  const waiting = pods.flatMap((pod) =>
    (pod.status?.containerStatuses ?? [])
      .map((c) => c.state?.waiting?.reason)
      .filter((reason): reason is string => reason !== undefined)
      .map((reason) => `pod ${pod.metadata?.name ?? '?'}: ${reason}`),
  );
  const pending = pods
    .flatMap((pod) => (pod.status?.conditions ?? []).filter((c) => c.type === 'PodScheduled' && c.status === 'False'))
    .map((c) => `${c.reason ?? 'unschedulable'}: ${c.message ?? ''}`.trim());
  return [`${ready}/${target} ready`, ...waiting, ...pending].join('; ');
}

export function rolloutVerdict(deployment: V1Deployment, pods: readonly V1Pod[], target: number): RolloutVerdict {
  const status = deployment.status;
  if (isObserved(deployment) && (status?.readyReplicas ?? 0) >= target && (status?.availableReplicas ?? 0) >= target) {
    return { kind: 'ready' };
  }
  const problem = conditionProblem(deployment) ?? podProblem(pods);
  if (problem) return { kind: 'failed', problem };
  return { kind: 'waiting', detail: describeProgress(deployment, pods, target) };
}

/** Scaled to 0 and the controller reports no pod left. */
export function isScaledDown(deployment: V1Deployment): boolean {
  return isObserved(deployment) && (deployment.spec?.replicas ?? 1) === 0 && (deployment.status?.replicas ?? 0) === 0;
}

/** What `observe` reports for a Deployment, and its pods when they were read. */
export function kubernetesObservedStatus(deployment: V1Deployment, pods: readonly V1Pod[] = []): AgentStatus {
  const desired = deployment.spec?.replicas ?? 1;
  // generation 1 is the spec as created (0 replicas): never started yet.
  if (desired === 0) return (deployment.metadata?.generation ?? 1) <= 1 ? 'waiting' : 'stopped';
  if (isObserved(deployment) && (deployment.status?.readyReplicas ?? 0) >= desired) return 'started';
  // Pods the kubelet will not get past by itself (a crash loop, an image gone) fail the agent too.
  return conditionProblem(deployment) !== null || podProblem(pods) !== null ? 'error' : 'unknown';
}
