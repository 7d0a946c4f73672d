/**
 * Labels and annotations of the LM's Kubernetes objects. Label values are restricted (63 characters of
 * [A-Za-z0-9._-]), so an agent address such as an IPv6 one or a free-text service name cannot be a label:
 * labels carry only what is always valid (for selectors), annotations carry every LM label verbatim
 * (for adoption, which compares them exactly).
 */
import {
  LABEL_AGENT_INDEX,
  LABEL_CLUSTER,
  LABEL_EXEC_TYPE,
  LABEL_INSTANCE,
  LABEL_NAMESPACE,
  LABEL_PEER_INSTANCE,
  workloadLabels,
} from '../labels';
import type { WorkloadSpec } from '../workload';

/** Replicas `start` scales to, decided at deploy. */
export const ANNOTATION_REPLICAS = 'lm.replicas';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function isValidLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** `app=<name>` selects the pods; the LM labels whose values are valid label values tell whose objects they are. */
export function kubernetesLabels(spec: WorkloadSpec): Record<string, string> {
  const all = workloadLabels(spec);
  const labels: Record<string, string> = { app: spec.name };
  for (const key of [LABEL_INSTANCE, LABEL_AGENT_INDEX, LABEL_EXEC_TYPE, LABEL_CLUSTER, LABEL_NAMESPACE, LABEL_PEER_INSTANCE]) {
    if (all[key] !== undefined && isValidLabelValue(all[key])) labels[key] = all[key];
  }
  return labels;
}

export function kubernetesAnnotations(spec: WorkloadSpec, replicas: number): Record<string, string> {
  return { ...workloadLabels(spec), [ANNOTATION_REPLICAS]: String(replicas) };
}

export function recordedReplicas(annotations: Record<string, string> | undefined): number | null {
  const value = Number(annotations?.[ANNOTATION_REPLICAS]);
  return Number.isInteger(value) && value > 0 ? value : null;
}
