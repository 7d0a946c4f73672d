/**
 * The steps of one agent (deploy, start, stop, remove) and how they reach its runtime: activities on the
 * agent's task queue, or (mF2C) the agent's own LM over HTTP. A failed step becomes the agent's status and
 * error, never an exception: the instance settles from its agents. A cancelled step (a terminate preempting
 * the operation) leaves the agent as it was: the terminate that follows removes whatever the step made.
 */
import * as wf from '@temporalio/workflow';
import type { RuntimeActivities } from '../activities/runtime/runtime-activities';
import type { DeployedBeforeFailure, DeployedWorkload, WorkloadRef, WorkloadSpec } from '../activities/runtime/workload';
import type { AgentRouteActivities } from '../activities/agent-route';
import {
  AGENT_LIVENESS_PROBE,
  IDEMPOTENT_RUNTIME_EFFECT,
  onAgentQueue,
  RUNTIME_EFFECT_ATTEMPT,
  RUNTIME_STEP_RETRY,
} from './activity-options';
import { describeFailure } from './failure-text';
import type { InstanceContext } from './instance-context';
import { forgetDeployAttempt, newAgentEntry, rememberDeployAttempt, wasDeployAttempted } from './instance-state';
import { lostAgent, lostReason } from './lost-agents';
import type { AgentEntry } from './model/instance';
import { agentLabel } from './model/instance';
import { agentTaskQueue } from './model/task-queues';
import { ensureRoute, remoteAgentRuntime, routeOf, type AgentRuntime } from './mf2c/agent-routes';
import { neverStarted, retryInWorkflow } from './step-retries';
import {
  RUNTIME_RETRIES_IN_WORKFLOW,
  DEPLOY_AND_START_AT_ONCE,
  BUSY_AGENT_IS_NOT_AWAY,
  AGENT_PRESENCE_FOLLOWED,
  REMOVE_BY_NAME,
} from './patches';

type Step = 'deploy' | 'start' | 'stop' | 'remove';

const liveness = wf.proxyActivities<Pick<AgentRouteActivities, 'agentLmPolling'>>(AGENT_LIVENESS_PROBE);

/** What a deploy-and-start had made when its start failed; null when it failed before (or said nothing). */
function deployedBefore(err: unknown): DeployedWorkload | null {
  const cause = err instanceof wf.ActivityFailure ? err.cause : err;
  if (!(cause instanceof wf.ApplicationFailure)) return null;
  const details = cause.details?.[0] as Partial<DeployedBeforeFailure> | undefined;
  return details?.deployed ?? null;
}

/** An agent with something on the runtime: it needs stopping and removing. */
export function hasWorkload(agent: AgentEntry): boolean {
  return agent.container_id !== '-' && agent.status !== 'terminated';
}

function needsDeploy(agent: AgentEntry): boolean {
  return agent.container_id === '-';
}

export interface AgentSteps {
  deployAgent(index: number): Promise<boolean>;
  /** Deploys first if the agent has nothing on its runtime yet. */
  startAgent(index: number): Promise<boolean>;
  stopAgent(index: number): Promise<boolean>;
  removeAgent(index: number): Promise<boolean>;
  /** True when agent `index` may hold a workload although `container_id` does not say so (a deploy cut short). */
  mayHaveWorkload(index: number): boolean;
  /** After compensation: the agent holds nothing, so a later start deploys it again. */
  resetAgent(index: number): void;
  /** A new agent entry for `url` (QoS adds agents later); the first agent is the COMPSs master. */
  newAgent(url: string): AgentEntry;
  /** What the runtime needs to find agent `index`'s workload. */
  refOf(index: number): WorkloadRef;
}

/** `withPeers`: the instance has peer or mF2C steps, so agents may be remote (standalone commands never change). */
export function agentSteps(ctx: InstanceContext, withPeers: boolean): AgentSteps {
  const { input, inst, state } = ctx;
  const { settings, service } = input;

  function proxiesFor(index: number, step: Step, options: wf.ActivityOptions): AgentRuntime {
    const agent = inst.agents[index];
    return wf.proxyActivities<RuntimeActivities>(
      onAgentQueue(options, agent.url, settings.agentTimeoutMs, `${step} ${agent.name} on ${agent.url}`),
    );
  }

  function specOf(index: number): WorkloadSpec {
    const agent = inst.agents[index];
    return {
      instanceUuid: input.uuid,
      agentIndex: index,
      agentUrl: agent.url,
      service,
      name: agent.name,
      deviceIp: inst.device_ip,
    };
  }

  function refOf(index: number): WorkloadRef {
    const { container_id, ports, agent_param } = inst.agents[index];
    return { ...specOf(index), container_id, ports, agent_param };
  }

  /**
   * Runs one step on the agent's runtime: over HTTP as the remote LM decides; on Temporal attempt by attempt,
   * each failure shown on the instance while it is retried (instances started before that: Temporal retries).
   */
  async function onRuntime(index: number, step: Step, work: (acts: AgentRuntime) => Promise<void>): Promise<void> {
    if (routeOf(ctx, index) === 'http') return work(remoteAgentRuntime(ctx, index));
    if (!ctx.patched(RUNTIME_RETRIES_IN_WORKFLOW)) return work(proxiesFor(index, step, IDEMPOTENT_RUNTIME_EFFECT));
    const agent = inst.agents[index];
    const key = `${step} ${agentLabel(agent, index)}`;
    const acts = proxiesFor(index, step, RUNTIME_EFFECT_ATTEMPT);
    const queue = agentTaskQueue(agent.url);
    // A lost agent is waited for by its presence; one whose LM cannot be read counts as away, as before.
    const busyNotAway = async (): Promise<boolean> =>
      lostAgent(state, agent.url) === undefined &&
      ctx.patched(BUSY_AGENT_IS_NOT_AWAY) &&
      liveness.agentLmPolling(agent.url).catch(() => false);
    try {
      await retryInWorkflow(
        RUNTIME_STEP_RETRY,
        () => work(acts),
        ({ attempt, error, nextDelayMs }) => {
          const message = neverStarted(error)
            ? `its LM is busy: the step waited ${Math.round(settings.agentTimeoutMs / 1000)} s in queue ${queue} (LM_AGENT_TIMEOUT_S) and is queued again`
            : describeFailure(error, queue);
          ctx.showRetry(
            key,
            step,
            agentLabel(agent, index),
            `retrying ${step} on ${agent.url}: ${message} (attempt ${attempt})`,
            nextDelayMs,
          );
        },
        busyNotAway,
      );
    } finally {
      ctx.clearRetry(key);
    }
  }

  async function onAgent(
    index: number,
    step: Step,
    work: (acts: AgentRuntime) => Promise<void>,
    failedAs: AgentEntry['status'] | (() => AgentEntry['status']),
  ): Promise<boolean> {
    const agent = inst.agents[index];
    const label = agentLabel(agent, index);
    const lost = lostAgent(ctx.state, agent.url);
    if (lost !== undefined) ctx.record(step, 'info', `${step} of ${agent.name} waits for its agent: ${lostReason(lost)}`, label);
    try {
      await onRuntime(index, step, work);
      agent.error = null;
      return true;
    } catch (err) {
      // Preempted: whoever cancelled the step (terminate) decides what becomes of the agent.
      if (wf.isCancellation(err)) return false;
      // Nobody took the step from the agent's queue: whatever it runs is unknown, not failed (nothing to redeploy).
      agent.status =
        neverStarted(err) && step !== 'deploy' && ctx.patched(AGENT_PRESENCE_FOLLOWED)
          ? 'unknown'
          : typeof failedAs === 'function'
            ? failedAs()
            : failedAs;
      agent.error = describeFailure(err, agentTaskQueue(agent.url));
      ctx.record(step, 'failed', `${step} of ${agent.name} failed: ${agent.error}`, label);
      return false;
    }
  }

  function recordDeployed(index: number, made: DeployedWorkload): void {
    const agent = inst.agents[index];
    Object.assign(agent, made, { status: 'waiting' });
    const ports = made.ports.length > 0 ? `, host ports ${made.ports.join(', ')}` : '';
    ctx.record('deploy', 'ok', `deployed ${agent.name} (${made.container_id.slice(0, 12)})${ports}`, agentLabel(agent, index));
  }

  function recordStarted(index: number): void {
    const agent = inst.agents[index];
    agent.status = 'started';
    ctx.record('start', 'ok', `started ${agent.name}`, agentLabel(agent, index));
  }

  /**
   * Deploys agent `index` (`andStart`: and starts it, in the same activity). Until the deploy reports, the
   * workload may exist under its deterministic name while `container_id` is "-".
   */
  async function deployAgent(index: number, andStart = false): Promise<boolean> {
    const agent = inst.agents[index];
    if (withPeers) await ensureRoute(ctx, agent.url);
    rememberDeployAttempt(state, agent.name);
    let reached = false;
    const deployed = await onAgent(
      index,
      'deploy',
      async (acts) => {
        try {
          if (!andStart) {
            recordDeployed(index, await acts.deployWorkload(specOf(index)));
            return;
          }
          if (acts.deployAndStartWorkload === undefined)
            throw new Error(`${agent.url} is driven over HTTP: deploy and start it step by step`);
          recordDeployed(index, await acts.deployAndStartWorkload(specOf(index)));
          recordStarted(index);
        } catch (err) {
          reached ||= !neverStarted(err);
          const made = andStart ? deployedBefore(err) : null;
          // Made, then its start failed: a retry adopts it; if none follows, the agent is error-starting.
          if (made !== null && agent.container_id !== made.container_id) recordDeployed(index, made);
          throw err;
        }
      },
      () => (needsDeploy(agent) ? 'not-deployed' : 'error-starting'),
    );
    // No worker ever took an attempt (the agent's LM is away): nothing can exist, nothing needs removing.
    if (!deployed && !reached && agent.status === 'not-deployed') forgetDeployAttempt(state, agent.name);
    return deployed;
  }

  async function startAgent(index: number): Promise<boolean> {
    const agent = inst.agents[index];
    if (needsDeploy(agent)) {
      // Decided before the route is: only an agent on this Temporal cluster has the combined activity.
      const atOnce =
        (!withPeers || ctx.input.mf2c === undefined || (await ensureRoute(ctx, agent.url)) === 'temporal') &&
        ctx.patched(DEPLOY_AND_START_AT_ONCE);
      if (atOnce) return deployAgent(index, true);
      if (!(await deployAgent(index))) return false;
    }
    return onAgent(
      index,
      'start',
      async (acts) => {
        const moved = await acts.startWorkload(refOf(index));
        if (moved !== null && moved !== undefined) {
          Object.assign(agent, moved);
          ctx.record(
            'start',
            'info',
            `a host port of ${agent.name} was taken since deploy: recreated on host ports ${moved.ports.join(', ')}`,
            agentLabel(agent, index),
          );
        }
        recordStarted(index);
      },
      'error-starting',
    );
  }

  async function stopAgent(index: number): Promise<boolean> {
    const agent = inst.agents[index];
    if (!hasWorkload(agent)) return true;
    return onAgent(
      index,
      'stop',
      async (acts) => {
        await acts.stopWorkload(refOf(index));
        agent.status = 'stopped';
        ctx.record('stop', 'ok', `stopped ${agent.name}`, agentLabel(agent, index));
      },
      'error-stopping',
    );
  }

  function mayHaveWorkload(index: number): boolean {
    const agent = inst.agents[index];
    // Over HTTP the remote LM owns the workload, and an original LM cannot find one by name.
    return agent.status !== 'terminated' && routeOf(ctx, index) === 'temporal' && wasDeployAttempted(state, agent.name);
  }

  async function removeAgent(index: number): Promise<boolean> {
    const agent = inst.agents[index];
    // Before REMOVE_BY_NAME an agent without `container_id` was skipped, whatever its deploy had made.
    if (!hasWorkload(agent) && !(mayHaveWorkload(index) && ctx.patched(REMOVE_BY_NAME))) {
      agent.status = 'terminated';
      forgetDeployAttempt(state, agent.name);
      return true;
    }
    const lost = lostAgent(ctx.state, agent.url);
    if (lost !== undefined) {
      // A terminate removes what it can now; the rest is removed when the agent is back (lost-agents.ts).
      agent.status = 'unknown';
      agent.error = `${lostReason(lost)}; ${agent.name} is removed once its LM is back`;
      ctx.record('remove', 'failed', `remove of ${agent.name} waits for its agent: ${agent.error}`, agentLabel(agent, index));
      return false;
    }
    return onAgent(
      index,
      'remove',
      async (acts) => {
        await acts.removeWorkload(refOf(index));
        agent.status = 'terminated';
        forgetDeployAttempt(state, agent.name);
        ctx.record('remove', 'ok', `removed ${agent.name}`, agentLabel(agent, index));
      },
      'error',
    );
  }

  function resetAgent(index: number): void {
    const agent = inst.agents[index];
    Object.assign(agent, { container_id: '-', ports: [...service.exec_ports], agent_param: '-' });
    forgetDeployAttempt(state, agent.name);
  }

  return {
    deployAgent,
    startAgent,
    stopAgent,
    removeAgent,
    mayHaveWorkload,
    resetAgent,
    newAgent: (url) => ({ ...newAgentEntry(input.uuid, url, inst.agents.length, service), master_compss: inst.agents.length === 0 }),
    refOf,
  };
}
