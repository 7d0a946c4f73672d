/** Task queues (DESIGN §4): one for orchestration, one per agent for the effects on that agent. */

export const WORKFLOW_TASK_QUEUE = 'lm-workflows';

/** Runtime activities for an agent run on its queue, polled by the LM worker of that agent. */
export function agentTaskQueue(agentIp: string): string {
  return `lm-agent-${agentIp}`;
}

/**
 * Each agent's LM also serves the presence check of its agent on a queue of its own, so busy runtime slots never
 * delay it (a delayed check would count a busy agent as lost).
 */
export function agentPresenceTaskQueue(agentIp: string): string {
  return `lm-presence-${agentIp}`;
}
