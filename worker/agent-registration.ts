/**
 * How one LM process joins the cluster as its agent's LM: a worker identity that says where it runs, a check
 * that no other machine serves the same agent queue, its introduction to the agent's presence workflow, and its
 * goodbye when it stops.
 */
import os from 'node:os';
import { Client, type ConnectionLike } from '@temporalio/client';
import type { LmConfig } from '../common/config';
import { agentHelloSignal, agentLeavingSignal, agentPresenceWorkflow } from '../workflows/agent-presence.workflow';
import { agentWorkflowId, type AgentLm } from '../workflows/model/agents';
import { agentTaskQueue, WORKFLOW_TASK_QUEUE } from '../workflows/model/task-queues';
import { activityQueuePollers, LIVE_POLLER_MS, pollerAgeMs } from '../activities/agent-route';

/** `<pid>@<host> …`: what DescribeTaskQueue shows for each poller of this LM's queues. */
export function workerIdentity(config: LmConfig): string {
  return `${process.pid}@${os.hostname()} lm-${config.role} ${config.hostIp}`;
}

/** The host in an identity of the form `<pid>@<host> …` (the SDK's default is `<pid>@<host>`); null otherwise. */
export function hostOfIdentity(identity: string): string | null {
  return /^\d+@(\S+)/.exec(identity)?.[1] ?? null;
}

export interface QueueHolder {
  identity: string;
  host: string;
  secondsAgo: number;
}

/** A worker on another machine that polled this agent's queue lately, or null. */
export async function otherMachineOnQueue(connection: ConnectionLike, config: LmConfig, now = Date.now()): Promise<QueueHolder | null> {
  const pollers = await activityQueuePollers(connection, config.temporal.namespace, agentTaskQueue(config.hostIp));
  const me = os.hostname();
  for (const poller of pollers) {
    const identity = poller.identity ?? '';
    const host = hostOfIdentity(identity);
    const ageMs = pollerAgeMs(poller, now);
    if (host !== null && host !== me && ageMs < LIVE_POLLER_MS)
      return { identity, host, secondsAgo: Math.max(0, Math.round(ageMs / 1000)) };
  }
  return null;
}

export function queueTakenMessage(config: LmConfig, holder: QueueHolder): string {
  return (
    `another LM already serves agent ${config.hostIp} (task queue ${agentTaskQueue(config.hostIp)}) from machine ` +
    `"${holder.host}" (worker ${holder.identity}, seen ${holder.secondsAgo} s ago). Stop that LM first, or give this ` +
    `one its own HOST_IP (this machine's IP); if that LM is gone, try again in ${Math.ceil(LIVE_POLLER_MS / 1000)} s.`
  );
}

/** Introduces this LM to its agent's presence workflow (starting it if the agent is new to the cluster). */
export async function introduceAgent(connection: ConnectionLike, config: LmConfig, identity: string): Promise<void> {
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const lm: AgentLm = {
    role: config.role,
    identity,
    host: os.hostname(),
    pid: process.pid,
    startedAt: new Date().toISOString(),
    apiPort: config.role === 'agent' && !config.agentApi ? null : config.port,
    lostAfterMs: config.agentLostMs,
  };
  await client.workflow.signalWithStart(agentPresenceWorkflow, {
    workflowId: agentWorkflowId(config.hostIp),
    taskQueue: WORKFLOW_TASK_QUEUE,
    args: [{ ip: config.hostIp }],
    signal: agentHelloSignal,
    signalArgs: [lm],
    staticSummary: `presence of agent ${config.hostIp}`,
  });
}

/**
 * Tells this agent's presence workflow that this LM process is stopping: the running presence check says so too,
 * but none runs in the moments after a start or a hello, and a stop then would be taken for a loss.
 */
export async function announceLeaving(connection: ConnectionLike, config: LmConfig, identity: string): Promise<void> {
  const client = new Client({ connection, namespace: config.temporal.namespace });
  await client.workflow.getHandle(agentWorkflowId(config.hostIp)).signal(agentLeavingSignal, identity);
}
