/**
 * Tells the instances with agents on one agent that it was lost or is back (workflows/agent-presence.ts). They
 * are found by the `LmAgents` search attribute, so only they are woken; the signal is idempotent (an instance
 * drops an announcement older than the one it knows), so a retried activity resends without harm.
 */
import { heartbeat } from '@temporalio/activity';
import { Client, WorkflowNotFoundError, type ConnectionLike } from '@temporalio/client';
import { agentPresenceSignal } from '../workflows/messages';
import type { AgentPresence } from '../workflows/model/agents';
import { SA_AGENTS } from '../workflows/model/search-attributes';
import { quoteValue } from '../common/visibility-query';

/** Signals in flight at once: thousands of instances are told in seconds without flooding the frontend. */
const CONCURRENCY = 16;

export function instancesOnAgentQuery(ip: string): string {
  return `WorkflowType = 'serviceInstanceWorkflow' AND ExecutionStatus = 'Running' AND ${SA_AGENTS.name} = ${quoteValue(ip)}`;
}

export function createAnnouncementActivities(connection: ConnectionLike, namespace: string) {
  const client = new Client({ connection, namespace });
  return {
    /** Resolves to the number of instances told. */
    async announceAgentPresence(presence: AgentPresence): Promise<number> {
      const ids: string[] = [];
      for await (const execution of client.workflow.list({ query: instancesOnAgentQuery(presence.ip), pageSize: 1000 })) {
        ids.push(execution.workflowId);
      }
      let next = 0;
      let told = 0;
      const tellNext = async (): Promise<void> => {
        while (next < ids.length) {
          const id = ids[next++];
          try {
            await client.workflow.getHandle(id).signal(agentPresenceSignal, presence);
            told += 1;
          } catch (err) {
            // Terminated since the listing: nothing to tell.
            if (!(err instanceof WorkflowNotFoundError)) throw err;
          }
          heartbeat(told);
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, tellNext));
      return told;
    },
  };
}

export type AnnouncementActivities = ReturnType<typeof createAnnouncementActivities>;
