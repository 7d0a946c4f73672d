/**
 * The agents the cluster knows, read from Temporal: every agent's presence workflow (its record, in the memo;
 * its LM's last heartbeat, on the pending presence check) and the agents the live instances name. It answers
 * `GET /api/v2/lm/agents` and gives standalone placement its candidates and their load.
 */
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { instancesOnAgentQuery } from '../activities/agent-announcement';
import { SUPPORTED_EXEC_TYPES } from '../activities/supported-exec-types';
import { agentWorkflowId, execTypesOffered, runtimeOf, type AgentRecord, type AgentRole } from '../workflows/model/agents';
import type { ServiceInstance } from '../workflows/model/instance';
import type { PlacementCandidate } from '../workflows/model/placement';
import type { ExecType } from '../workflows/model/service';

const READ_DEADLINE_MS = 5_000;
/** Placements within this long share one read of the agents and their load (a burst of submits reads once). */
const SNAPSHOT_MS = 2_000;

const AGENT_WORKFLOWS = `WorkflowType = 'agentPresenceWorkflow' AND ExecutionStatus = 'Running'`;
const LIVE_INSTANCES = `WorkflowType = 'serviceInstanceWorkflow' AND ExecutionStatus = 'Running'`;

export interface InstanceOnAgent {
  id: string;
  status: string;
  /** Its agents on this agent (an instance may have several on one IP). */
  agents: Array<{ index: number; name: string; status: string }>;
}

export interface AgentView {
  ip: string;
  alive: boolean;
  role: AgentRole | null;
  since: string | null;
  reason: string | null;
  last_seen: string | null;
  runtimes: AgentRecord['runtimes'];
  exec_types: ExecType[];
  instance_count: number;
  agent_count: number;
  lm: { identity: string; host: string; pid: number; started_at: string; api_port: number | null } | null;
}

export interface AgentDetail extends AgentView {
  instances: InstanceOnAgent[];
}

function latest(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

function byIp(a: { ip: string }, b: { ip: string }): number {
  return a.ip.localeCompare(b.ip, 'en', { numeric: true });
}

interface Snapshot {
  candidates: PlacementCandidate[];
  records: AgentRecord[];
}

export class AgentDirectory {
  private snapshot: Promise<Snapshot> | null = null;
  private snapshotAt = 0;

  constructor(private readonly client: Client) {}

  private withDeadline<T>(fn: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + READ_DEADLINE_MS, fn);
  }

  /** Every registered agent's record; its last heartbeat counts as seen. */
  private async records(): Promise<AgentRecord[]> {
    const ids: string[] = [];
    await this.withDeadline(async () => {
      for await (const execution of this.client.workflow.list({ query: AGENT_WORKFLOWS, pageSize: 1000 })) ids.push(execution.workflowId);
    });
    const records = await Promise.all(ids.map((id) => this.recordOf(id)));
    return records.filter((record): record is AgentRecord => record !== null);
  }

  private async recordOf(workflowId: string): Promise<AgentRecord | null> {
    try {
      const description = await this.withDeadline(() => this.client.workflow.getHandle(workflowId).describe());
      const record = (description.memo?.agent as AgentRecord | undefined) ?? null;
      if (record === null) return null;
      let heartbeat: string | null = null;
      for (const pending of description.raw.pendingActivities ?? []) {
        const seconds = Number(pending.lastHeartbeatTime?.seconds ?? 0);
        if (seconds > 0) heartbeat = latest(heartbeat, new Date(seconds * 1000).toISOString());
      }
      return { ...record, lastSeen: record.alive ? latest(record.lastSeen, heartbeat) : record.lastSeen };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }

  /** The agents of every live instance, by agent IP (one read of the instances' memos). */
  private async instancesByAgent(query: string): Promise<Map<string, InstanceOnAgent[]>> {
    const byAgent = new Map<string, InstanceOnAgent[]>();
    await this.withDeadline(async () => {
      for await (const execution of this.client.workflow.list({ query, pageSize: 1000 })) {
        const instance = execution.memo?.instance as ServiceInstance | undefined;
        if (instance === undefined) continue;
        const here = new Map<string, InstanceOnAgent>();
        instance.agents.forEach((agent, index) => {
          if (agent.status === 'terminated') return;
          let entry = here.get(agent.url);
          if (entry === undefined) {
            entry = { id: instance.id, status: instance.status, agents: [] };
            here.set(agent.url, entry);
          }
          entry.agents.push({ index, name: agent.name, status: agent.status });
        });
        for (const [ip, entry] of here) byAgent.set(ip, [...(byAgent.get(ip) ?? []), entry]);
      }
    });
    return byAgent;
  }

  private view(ip: string, record: AgentRecord | undefined, instances: InstanceOnAgent[]): AgentView {
    const counts = { instance_count: instances.length, agent_count: instances.reduce((n, i) => n + i.agents.length, 0) };
    if (record === undefined) {
      return {
        ip,
        alive: false,
        role: null,
        since: null,
        reason:
          'no LM of this agent has joined this cluster: only instances name it (its steps wait for one, or it is driven over HTTP in mF2C mode)',
        last_seen: null,
        runtimes: null,
        exec_types: [],
        ...counts,
        lm: null,
      };
    }
    const { lm } = record;
    return {
      ip,
      alive: record.alive,
      role: lm?.role ?? null,
      since: record.since,
      reason: record.reason,
      last_seen: record.lastSeen,
      runtimes: record.runtimes,
      exec_types: record.alive ? execTypesOffered(record.runtimes, SUPPORTED_EXEC_TYPES) : [],
      ...counts,
      lm: lm === null ? null : { identity: lm.identity, host: lm.host, pid: lm.pid, started_at: lm.startedAt, api_port: lm.apiPort },
    };
  }

  async list(): Promise<AgentView[]> {
    const [records, byAgent] = await Promise.all([this.records(), this.instancesByAgent(LIVE_INSTANCES)]);
    const recordOf = new Map(records.map((record) => [record.ip, record]));
    const ips = new Set([...recordOf.keys(), ...byAgent.keys()]);
    return [...ips].map((ip) => this.view(ip, recordOf.get(ip), byAgent.get(ip) ?? [])).sort(byIp);
  }

  /** The presence record of an agent that joined this cluster (its LM serves the agent's queue); null: none did. */
  registered(ip: string): Promise<AgentRecord | null> {
    return this.recordOf(agentWorkflowId(ip));
  }

  /** Null when the cluster knows no such agent. */
  async get(ip: string): Promise<AgentDetail | null> {
    const [record, byAgent] = await Promise.all([this.recordOf(agentWorkflowId(ip)), this.instancesByAgent(instancesOnAgentQuery(ip))]);
    const instances = byAgent.get(ip) ?? [];
    if (record === null && instances.length === 0) return null;
    return { ...this.view(ip, record ?? undefined, instances), instances };
  }

  /**
   * The placement candidates for `execType`, with their load. Placements made from the same snapshot count
   * themselves into it (`placed`), so a burst of submits spreads before visibility shows their instances.
   */
  async candidates(execType: ExecType): Promise<{ candidates: PlacementCandidate[]; placed: (ips: string[]) => void }> {
    const snapshot = await this.freshSnapshot();
    const runtime = runtimeOf(execType);
    const recordOf = new Map(snapshot.records.map((record) => [record.ip, record]));
    return {
      candidates: snapshot.candidates.map((c) => ({ ...c, runtime: recordOf.get(c.ip)?.runtimes?.[runtime] ?? null })),
      placed: (ips) => {
        for (const candidate of snapshot.candidates) if (ips.includes(candidate.ip)) candidate.load += 1;
      },
    };
  }

  private freshSnapshot(): Promise<Snapshot> {
    if (this.snapshot !== null && Date.now() - this.snapshotAt < SNAPSHOT_MS) return this.snapshot;
    this.snapshotAt = Date.now();
    const taking = (async (): Promise<Snapshot> => {
      const records = await this.records();
      const loads = await Promise.all(
        records.map((record) => this.withDeadline(() => this.client.workflow.count(instancesOnAgentQuery(record.ip)))),
      );
      const candidates = records.map((record, i) => ({
        ip: record.ip,
        alive: record.alive,
        reason: record.reason,
        since: record.since,
        runtime: null,
        load: loads[i].count,
      }));
      return { candidates, records };
    })();
    this.snapshot = taking;
    // A failed read is not shared: the next placement reads again.
    taking.catch(() => {
      if (this.snapshot === taking) this.snapshot = null;
    });
    return taking;
  }
}
