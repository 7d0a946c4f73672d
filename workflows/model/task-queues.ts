/** Task queues (DESIGN §4): one for orchestration, one per agent for the effects on that agent. */

export const WORKFLOW_TASK_QUEUE = 'lm-workflows';

/** Runtime activities for an agent run on its queue, polled by the LM worker of that agent. */
export function agentTaskQueue(agentIp: string): string {
  return `lm-agent-${agentIp}`;
}
