/** Labels on every workload the LM makes: they tie it to its instance and agent, for adoption and cleanup. */
import type { WorkloadSpec } from './workload';

export const LABEL_INSTANCE = 'lm.service-instance';
export const LABEL_AGENT = 'lm.agent';
export const LABEL_AGENT_INDEX = 'lm.agent-index';
export const LABEL_SERVICE = 'lm.service-name';
export const LABEL_EXEC_TYPE = 'lm.exec-type';

export function workloadLabels(spec: WorkloadSpec): Record<string, string> {
  return {
    [LABEL_INSTANCE]: spec.instanceUuid,
    [LABEL_AGENT]: spec.agentUrl,
    [LABEL_AGENT_INDEX]: String(spec.agentIndex),
    [LABEL_SERVICE]: spec.service.name,
    [LABEL_EXEC_TYPE]: spec.service.exec_type,
  };
}

/** True when `labels` say the workload belongs to this spec's instance and agent slot. */
export function belongsTo(labels: Record<string, string> | undefined, spec: WorkloadSpec): boolean {
  return labels?.[LABEL_INSTANCE] === spec.instanceUuid && labels?.[LABEL_AGENT_INDEX] === String(spec.agentIndex);
}
