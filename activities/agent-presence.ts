/**
 * The agent side of its presence check (workflows/agent-presence.ts): served by this agent's LM on its own
 * presence queue, it heartbeats for as long as the LM lives and returns when there is something to report —
 * at once when asked, when a runtime comes or goes, when the LM stops (so its agent is not taken for lost), or
 * after a while so the workflow's history stays short.
 */
import { CancelledFailure, Context } from '@temporalio/activity';
import type { LmConfig } from '../common/config';
import { sameRuntimes, type AgentRuntimes, type PresenceReport } from '../workflows/model/agents';
import { runtimeProbe } from './agent-capabilities';

export interface PresenceTiming {
  /** How often the runtimes are probed while the check runs. */
  probeEveryMs: number;
  /** The longest one check runs. */
  longestMs: number;
}

const DEFAULT_TIMING: PresenceTiming = { probeEveryMs: 5_000, longestMs: 10 * 60_000 };

/**
 * How often the check's heartbeats must reach Temporal: a third of LM_AGENT_LOST_S (the heartbeat timeout), so
 * two can be late before a live agent counts as lost. The presence worker throttles its heartbeats to this.
 */
export function presenceHeartbeatMs(lostAfterMs: number): number {
  return Math.max(100, Math.floor(lostAfterMs / 3));
}

export function createPresenceActivities(config: LmConfig, timing: PresenceTiming = DEFAULT_TIMING) {
  const probe = runtimeProbe(config);
  // Recorded twice per interval the worker sends them at, so each send carries a fresh one.
  const heartbeatEveryMs = Math.min(1_000, presenceHeartbeatMs(config.agentLostMs) / 2);
  return {
    async agentPresence(known: AgentRuntimes | null, reportAtOnce: boolean): Promise<PresenceReport> {
      const context = Context.current();
      let runtimes = await probe();
      if (reportAtOnce || !sameRuntimes(known, runtimes)) return { leaving: false, runtimes };
      const started = Date.now();
      let probed = Date.now();
      try {
        while (Date.now() - started < timing.longestMs) {
          context.heartbeat();
          await context.sleep(heartbeatEveryMs);
          if (Date.now() - probed < timing.probeEveryMs) continue;
          probed = Date.now();
          runtimes = await probe();
          if (!sameRuntimes(known, runtimes)) break;
        }
        return { leaving: false, runtimes };
      } catch (err) {
        // The presence worker shuts down at once (no grace time): this LM is stopping, not dying.
        if (err instanceof CancelledFailure && err.message === 'WORKER_SHUTDOWN') return { leaving: true, runtimes };
        throw err;
      }
    },
  };
}

export type PresenceActivities = ReturnType<typeof createPresenceActivities>;
