/**
 * Connector to another agent's LM over its API (spec/mf2c-peers.md §7): the checks the selection asks every
 * agent, the internal `service-instance-int` deploy and operations for an agent that does not share our
 * Temporal cluster (an original Python LM answers its `agent` as a Python literal), and the forward to the
 * leader. Old and new LMs both answer these.
 */
import type { LmConfig } from '../../common/config';
import { parsePythonLiteral } from '../../common/python-literal';
import { FailureType } from '../../workflows/model/failures';
import type { LeaderForwardBody, RemoteAgentReport, UmCheckVerdict } from '../../workflows/model/peers';
import type { Service } from '../../workflows/model/service';
import { errorMessage, failure } from '../failures';
import type { ServiceInstance } from '../../workflows/model/instance';
import { cimiClient } from './cimi';
import { AGENT_STATUSES, type AgentStatus } from '../../workflows/model/status';
import { cimiAgent, cimiInstanceDocument } from './cimi-instance-document';
import { KnownAgents } from './known-agents';
import { answerText, callPeer } from './http-peer';
import { umVerdict } from './user-management';

export interface RemoteAgent {
  ip: string;
  port: number;
}

export type RemoteOperation = 'start' | 'stop' | 'restart' | 'terminate';

/** The instance as the workflow holds it; the wire body is its CIMI document and the agent's CIMI entry. */
export interface RemoteDeploy extends RemoteAgent {
  service: Service;
  instance: ServiceInstance;
  agentIndex: number;
}

export interface RemoteOperate extends RemoteDeploy {
  operation: RemoteOperation;
}

/** The original's body fields: `service_instance` is CIMI's document (with its id), `agent` its entry. */
function wireInstance(instance: ServiceInstance): Record<string, unknown> {
  return { id: instance.id, ...cimiInstanceDocument(instance) };
}

const lmUrl = ({ ip, port }: RemoteAgent, path: string): string => `http://${ip}:${port}/api/v2/lm${path}`;

/** The `agent` of a `service-instance-int` answer: a Python literal from an original LM, JSON from a new one. */
export function remoteAgentReport(data: unknown, where: string): RemoteAgentReport {
  const raw = typeof data === 'object' && data !== null ? (data as { agent?: unknown }).agent : undefined;
  let agent: unknown = raw;
  if (typeof raw === 'string') {
    try {
      agent = parsePythonLiteral(raw);
    } catch (err) {
      throw failure(FailureType.PeerRejected, `${where} answered an agent that cannot be read: ${errorMessage(err)}`);
    }
  }
  if (typeof agent !== 'object' || agent === null) {
    // The original answers `null` for docker-swarm and K8s deploys (bug C2): nothing usable was deployed.
    throw failure(FailureType.PeerRejected, `${where} answered no agent (${answerText(data)}): it cannot deploy this exec_type`);
  }
  const entry = agent as Record<string, unknown>;
  const ports = Array.isArray(entry.ports) ? entry.ports.filter((p): p is number => typeof p === 'number') : [];
  return {
    status: typeof entry.status === 'string' ? entry.status : 'unknown',
    container_id: typeof entry.container_id === 'string' ? entry.container_id : '-',
    ports,
    agent_param: typeof entry.agent_param === 'string' ? entry.agent_param : '-',
  };
}

export function createRemoteLmActivities(config: LmConfig) {
  const timeoutMs = config.httpTimeoutMs;
  const bearer = (token: string | null): Record<string, string> => (token === null ? {} : { Authorization: `Bearer ${token}` });
  const known = new KnownAgents(config.peerAgents, cimiClient(config));
  /** The agent's LM as named in messages, and the internal token's header only for an agent this LM knows. */
  const internal = async (ip: string): Promise<{ peer: string; headers: Record<string, string> }> => {
    if (config.auth.internalToken === null) return { peer: `the LM of agent ${ip}`, headers: {} };
    if (await known.knows(ip)) return { peer: `the LM of agent ${ip}`, headers: bearer(config.auth.internalToken) };
    return {
      peer: `the LM of agent ${ip} (called without the internal token: neither CIMI nor LM_PEER_AGENTS names this agent)`,
      headers: {},
    };
  };
  // The leader's client API: LMs of one deployment share LM_API_TOKEN (the leader comes from CIMI).
  const client = bearer(config.auth.apiToken);
  const json: Record<string, string> = { 'Content-Type': 'application/json' };
  return {
    /** The remote agent's UM verdict, asked through its LM (`check-agent-um`). */
    async checkRemoteUserManagement(agent: RemoteAgent): Promise<UmCheckVerdict> {
      const url = lmUrl(agent, '/check-agent-um');
      const { peer, headers } = await internal(agent.ip);
      const { data } = await callPeer({ peer, method: 'get', url, headers, timeoutMs, idempotent: true });
      return umVerdict(data, `the LM of agent ${agent.ip} (${url})`);
    },

    async checkRemoteSwarm(agent: RemoteAgent): Promise<{ result: boolean; message: string }> {
      const url = lmUrl(agent, '/check-agent-swarm');
      const { peer, headers } = await internal(agent.ip);
      const { data } = await callPeer({ peer, method: 'get', url, headers, timeoutMs, idempotent: true });
      const body = typeof data === 'object' && data !== null ? (data as { result?: unknown; message?: unknown }) : {};
      return { result: body.result === true, message: typeof body.message === 'string' ? body.message : answerText(data) };
    },

    /** Deploy only (no start), like the original; not idempotent on an original LM, so never resent when ambiguous. */
    async deployOnRemoteAgent(request: RemoteDeploy): Promise<RemoteAgentReport> {
      const url = lmUrl(request, '/service-instance-int');
      const { peer, headers } = await internal(request.ip);
      const { data } = await callPeer({
        peer,
        method: 'post',
        url,
        body: {
          service: request.service,
          service_instance: wireInstance(request.instance),
          agent: cimiAgent(request.instance.agents[request.agentIndex]),
        },
        headers: { ...json, ...headers },
        timeoutMs: config.docker.timeoutMs * 4,
        idempotent: false,
      });
      const report = remoteAgentReport(data, `the LM of agent ${request.ip}`);
      if (report.status !== 'waiting') {
        throw failure(
          FailureType.PeerRejected,
          `the LM of agent ${request.ip} could not deploy the service: its agent is "${report.status}"`,
        );
      }
      return report;
    },

    async operateRemoteAgent(request: RemoteOperate): Promise<RemoteAgentReport> {
      const url = lmUrl(request, '/service-instance-int');
      const { peer, headers } = await internal(request.ip);
      const { data } = await callPeer({
        peer,
        method: 'put',
        url,
        // `service_instance` is not in the original's body (old LMs ignore it): a new LM finds compose projects with it.
        body: {
          service: request.service,
          operation: request.operation,
          agent: cimiAgent(request.instance.agents[request.agentIndex]),
          service_instance: wireInstance(request.instance),
        },
        headers: { ...json, ...headers },
        timeoutMs: config.docker.timeoutMs * 2,
        idempotent: true,
      });
      return remoteAgentReport(data, `the LM of agent ${request.ip}`);
    },

    /**
     * What the remote agent's runtime reports about its workload (`POST …/service-instance-int/status`, which only
     * this LM answers): `unknown` when the peer cannot tell (an original LM answers 404 or 405).
     */
    async observeRemoteAgent(request: RemoteDeploy): Promise<AgentStatus> {
      const url = lmUrl(request, '/service-instance-int/status');
      const { peer, headers } = await internal(request.ip);
      const { status, data } = await callPeer({
        peer,
        method: 'post',
        url,
        body: {
          service: request.service,
          agent: cimiAgent(request.instance.agents[request.agentIndex]),
          service_instance: wireInstance(request.instance),
        },
        headers: { ...json, ...headers },
        timeoutMs,
        idempotent: true,
        accept: [404, 405],
      });
      if (status === 404 || status === 405) return 'unknown';
      const reported = typeof data === 'object' && data !== null ? (data as { status?: unknown }).status : undefined;
      return AGENT_STATUSES.find((known) => known === reported) ?? 'unknown';
    },

    /** spec/original-lm.md §8.5: the leader takes the instance over under the same id (it reuses it: bug C10). */
    async forwardToLeader(request: RemoteAgent & { body: LeaderForwardBody }): Promise<string> {
      const url = lmUrl(request, '/service');
      const { data } = await callPeer({
        peer: `the leader's LM (${request.ip})`,
        method: 'post',
        url,
        body: request.body,
        headers: { ...json, ...client },
        timeoutMs,
        idempotent: false,
      });
      const message = typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : undefined;
      return typeof message === 'string' ? message : 'accepted';
    },
  };
}

export type RemoteLmActivities = ReturnType<typeof createRemoteLmActivities>;
