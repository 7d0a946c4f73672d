/** Statuses of a service instance and of its agents (DESIGN §3), and the one rule linking them. */

export const INSTANCE_STATUSES = [
  'created-not-initialized',
  'deploying',
  'started',
  'degraded',
  'starting',
  'stopping',
  'stopped',
  'terminating',
  'terminated',
  'error',
  /** mF2C: not enough agents here, so the leader's LM took the instance over (same id). */
  'forwarded',
] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

export const AGENT_STATUSES = [
  'created-not-initialized',
  'waiting',
  'started',
  'stopped',
  'terminated',
  'not-deployed',
  'error-starting',
  'error-stopping',
  'error',
  'unknown',
] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** Instance statuses that mean "an operation is running"; they are set by the workflow, never derived. */
export const TRANSITIONAL_STATUSES: readonly InstanceStatus[] = [
  'created-not-initialized',
  'deploying',
  'starting',
  'stopping',
  'terminating',
];

export function isTransitional(status: InstanceStatus): boolean {
  return TRANSITIONAL_STATUSES.includes(status);
}

type AgentCondition = 'running' | 'idle' | 'gone' | 'failed' | 'unknown';

/**
 * An agent that is not known to be running, idle or removed counts as failed: never report it healthy. One whose
 * agent's LM is lost (`unknown`) may still run: it makes the instance `degraded`, neither healthy nor failed.
 */
function conditionOf(status: AgentStatus): AgentCondition {
  switch (status) {
    case 'unknown':
      return 'unknown';
    case 'started':
      return 'running';
    case 'stopped':
    case 'waiting':
      return 'idle';
    case 'terminated':
      return 'gone';
    default:
      return 'failed';
  }
}

/**
 * The settled instance status, derived from its agents only:
 * - every agent running → `started`; every agent idle → `stopped`; every agent removed → `terminated`;
 * - some running, the others not → `degraded`;
 * - nothing running, no agent at all, or any failure without a running agent →
 *   `error` when no agent is idle or unknown, else `degraded` (part of the instance is usable once started, or
 *   may still run where its agent's LM is lost).
 */
export function deriveInstanceStatus(agentStatuses: readonly AgentStatus[]): InstanceStatus {
  if (agentStatuses.length === 0) return 'error';
  const conditions = agentStatuses.map(conditionOf);
  const count = (c: AgentCondition): number => conditions.filter((x) => x === c).length;
  const total = conditions.length;
  if (count('gone') === total) return 'terminated';
  if (count('running') === total) return 'started';
  if (count('idle') === total) return 'stopped';
  if (count('running') > 0) return 'degraded';
  if (count('idle') > 0 || count('unknown') > 0) return 'degraded';
  return 'error';
}
