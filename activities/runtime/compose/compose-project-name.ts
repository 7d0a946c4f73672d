/**
 * The compose project (and swarm stack) name of a workload: `lm-<uuid>`, unique per instance, so two
 * instances of one compose file never share containers, networks or volumes (spec/original-lm.md §13 A4, C3).
 */
import type { WorkloadSpec } from '../workload';

export function composeProjectName(spec: Pick<WorkloadSpec, 'instanceUuid' | 'agentIndex'>): string {
  const base = `lm-${spec.instanceUuid.toLowerCase()}`;
  // Compose instances run on one agent; should a second agent slot land on the same engine it gets its own project.
  return spec.agentIndex === 0 ? base : `${base}-${spec.agentIndex}`;
}
