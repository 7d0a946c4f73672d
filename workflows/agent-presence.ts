/**
 * The presence of one agent in the cluster, as an entity (its record and the handlers of its messages) behind
 * the thin workflow of agent-presence.workflow.ts, one per agent IP.
 *
 * Temporal itself notices a lost agent: the workflow keeps one long presence check running on the agent's own
 * presence queue, and its LM heartbeats it. A LM that dies stops heartbeating, so the check times out after
 * LM_AGENT_LOST_S (the heartbeat timeout); one that is gone before taking the next check lets it time out
 * unstarted (the schedule-to-start timeout, the same bound). No timer runs per agent or per instance: an idle
 * agent costs one activity every ten minutes, and only a change is told to the instances that have agents there.
 */
import * as wf from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { AnnouncementActivities } from '../activities/agent-announcement';
import type { PresenceActivities } from '../activities/agent-presence';
import { AGENT_ANNOUNCEMENT, AGENT_PRESENCE_CHECK } from './activity-options';
import { newAgentRecord, type AgentLm, type AgentPresence, type AgentRecord, type PresenceReport } from './model/agents';
import { agentPresenceTaskQueue } from './model/task-queues';

export interface AgentPresenceInput {
  ip: string;
  /** Present in a continued run. */
  carried?: { record: AgentRecord; announced: AgentPresence | null; stopping: boolean };
}

/** A new run before the history grows long (an idle agent adds a few events every ten minutes). */
const HISTORY_LIMIT = 2_000;
/** An agent lost this long is forgotten: its workflow ends (instances that still name it keep it listed). */
const FORGET_AFTER_MS = 7 * 24 * 3_600_000;

function nowIso(): string {
  return new Date().toISOString();
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}

type CheckOutcome =
  { kind: 'report'; report: PresenceReport } | { kind: 'lost'; reason: string } | { kind: 'superseded' } | { kind: 'forgotten' };

export class AgentPresenceEntity {
  readonly record: AgentRecord;
  /** What the instances were last told; null: nothing yet (they assume their agents are there). */
  private announced: AgentPresence | null;
  /** Its LM said it is stopping: not alive, but not lost either until LM_AGENT_LOST_S pass without it. */
  private stopping: boolean;
  /** The running check, cancelled when a new LM process introduces itself. */
  private check: wf.CancellationScope | null = null;
  private hellos = 0;
  private hellosSeen = 0;

  constructor(private readonly input: AgentPresenceInput) {
    this.record = input.carried?.record ?? newAgentRecord(input.ip, nowIso());
    this.announced = input.carried?.announced ?? null;
    this.stopping = input.carried?.stopping ?? false;
  }

  agent(): AgentRecord {
    return this.record;
  }

  /** A LM process (re)started for this agent: the running check may belong to a dead one, so start afresh. */
  hello(lm: AgentLm): void {
    this.record.lm = lm;
    this.hellos += 1;
    this.check?.cancel();
    this.publish();
  }

  /**
   * Its LM is stopping and says so itself: for a stop while no check runs on it (its first moments, or right
   * after a hello), which would otherwise be taken for a loss. An older LM process of this agent is ignored.
   */
  leaving(identity: string): void {
    const { record } = this;
    if (record.lm?.identity !== identity || !record.alive) return;
    const at = nowIso();
    record.lastSeen = at;
    this.markStopping(at);
    this.publish();
  }

  /** Checks the agent's presence for as long as the workflow runs; continues as a new run now and then. */
  async run(): Promise<AgentRecord> {
    await wf.condition(() => this.record.lm !== null);
    for (;;) {
      if (wf.workflowInfo().historyLength > HISTORY_LIMIT || wf.workflowInfo().continueAsNewSuggested) {
        await wf.condition(wf.allHandlersFinished);
        return wf.continueAsNew<(input: AgentPresenceInput) => Promise<AgentRecord>>({
          ip: this.input.ip,
          carried: { record: this.record, announced: this.announced, stopping: this.stopping },
        });
      }
      const outcome = await this.nextCheck();
      if (outcome.kind === 'superseded') continue;
      if (outcome.kind === 'forgotten') {
        this.lost(`forgotten: its LM has not been back for ${Math.round(FORGET_AFTER_MS / 86_400_000)} days`);
        return this.record;
      }
      if (outcome.kind === 'report') this.reported(outcome.report);
      else this.lost(outcome.reason);
      await this.announceIfChanged();
    }
  }

  private lostAfterMs(): number {
    return this.record.lm?.lostAfterMs ?? 30_000;
  }

  /**
   * One presence check on the agent's queue. While the agent is alive (or has just stopped) it must be taken
   * within LM_AGENT_LOST_S; once it is lost the check waits for its LM, up to FORGET_AFTER_MS.
   */
  private async nextCheck(): Promise<CheckOutcome> {
    const lostAfterMs = this.lostAfterMs();
    const waitingForReturn = this.announced !== null && !this.announced.alive;
    const reportAtOnce = !this.record.alive || this.hellosSeen !== this.hellos;
    this.hellosSeen = this.hellos;
    // Runs that began waiting before lost agents were forgotten wait for ever, as they did then.
    const forgetting = waitingForReturn && wf.patched('forget-lost-agents');
    const scheduleToStart = !waitingForReturn ? lostAfterMs : forgetting ? FORGET_AFTER_MS : undefined;
    const acts = wf.proxyActivities<PresenceActivities>({
      ...AGENT_PRESENCE_CHECK,
      taskQueue: agentPresenceTaskQueue(this.input.ip),
      heartbeatTimeout: lostAfterMs,
      ...(scheduleToStart === undefined ? {} : { scheduleToStartTimeout: scheduleToStart }),
      summary: `presence of agent ${this.input.ip}`,
    });
    const scope = new wf.CancellationScope();
    this.check = scope;
    try {
      const report = await scope.run(() => acts.agentPresence(this.record.runtimes, reportAtOnce));
      return { kind: 'report', report };
    } catch (err) {
      if (wf.isCancellation(err)) {
        if (this.hellosSeen !== this.hellos) return { kind: 'superseded' };
        // The workflow itself was cancelled: it ends, and the agent's next LM start begins a new one.
        throw err;
      }
      const cause = err instanceof wf.ActivityFailure ? err.cause : err;
      if (cause instanceof wf.TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_START) {
        if (forgetting) return { kind: 'forgotten' };
        return {
          kind: 'lost',
          reason: `no LM of agent ${this.input.ip} took its presence check for ${seconds(lostAfterMs)} s (LM_AGENT_LOST_S)`,
        };
      }
      if (cause instanceof wf.TimeoutFailure) {
        return {
          kind: 'lost',
          reason: `the LM of agent ${this.input.ip} stopped answering: no heartbeat for ${seconds(lostAfterMs)} s (LM_AGENT_LOST_S)`,
        };
      }
      return {
        kind: 'lost',
        reason: `the presence check of agent ${this.input.ip} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      };
    } finally {
      this.check = null;
    }
  }

  private reported(report: PresenceReport): void {
    const { record } = this;
    const at = nowIso();
    record.lastSeen = at;
    record.runtimes = report.runtimes;
    if (report.leaving) this.markStopping(at);
    else {
      this.stopping = false;
      this.setAlive(true, null, at);
    }
    this.publish();
  }

  /** Stopped, not lost yet: the next check (taken within LM_AGENT_LOST_S, or not) tells. */
  private markStopping(at: string): void {
    this.stopping = true;
    this.setAlive(false, `its LM stopped at ${at}; it counts as lost if it is not back within ${seconds(this.lostAfterMs())} s`, at);
  }

  private lost(reason: string): void {
    this.stopping = false;
    this.setAlive(false, reason, nowIso());
    this.publish();
  }

  private setAlive(alive: boolean, reason: string | null, at: string): void {
    const { record } = this;
    if (record.alive !== alive) record.since = at;
    record.alive = alive;
    record.reason = reason;
  }

  /**
   * Tells the instances with agents here when the agent was lost (silent for LM_AGENT_LOST_S, not merely
   * stopping) or is back after that. Nothing is sent while nothing changed for them.
   */
  private async announceIfChanged(): Promise<void> {
    const { record } = this;
    const wasAlive = this.announced === null || this.announced.alive;
    if (this.stopping || record.alive === wasAlive) return;
    const presence: AgentPresence = {
      ip: record.ip,
      alive: record.alive,
      reason: record.reason,
      since: record.since,
      // Workflow time: it grows across runs, and across a record started anew.
      epoch: Math.max((this.announced?.epoch ?? 0) + 1, Date.now()),
    };
    const acts = wf.proxyActivities<AnnouncementActivities>({
      ...AGENT_ANNOUNCEMENT,
      summary: `tell the instances on ${record.ip}: ${record.alive ? 'back' : 'lost'}`,
    });
    const told = await acts.announceAgentPresence(presence);
    wf.log.info(`agent ${record.ip} ${record.alive ? 'is back' : 'is lost'}: told ${told} instance(s)`, { reason: record.reason });
    this.announced = presence;
  }

  /** The record for the API: the memo (read without a worker) and the Web UI's current details. */
  private publish(): void {
    const { record } = this;
    wf.upsertMemo({ agent: record });
    wf.setCurrentDetails(`**${record.alive ? 'alive' : 'not alive'}** ${record.reason ?? ''} — LM ${record.lm?.identity ?? 'unknown'}`);
  }
}
