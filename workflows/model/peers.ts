/**
 * What the workflow, the mF2C peer activities and the API share about the peers (plain JSON types only):
 * which peers an instance talks to, what it holds at them, and the answers of the peer activities.
 */
import type { ExecType } from './service';

/** Peers an instance talks to, fixed at submit from the LM's configuration. */
export interface PeerSwitches {
  /** Mirror the instance to CIMI's `service-instance` resource (mF2C mode: the instance id is CIMI's). */
  cimi: boolean;
  /** Create, start, stop and terminate an SLA agreement (needs an `sla_template`). */
  sla: boolean;
  /** Count the instance in User Management's `apps_running`. */
  userManagement: boolean;
}

/** mF2C mode: how agents are chosen and where to forward when there are not enough. */
export interface Mf2cContext {
  /** No `agents_list`: candidates come from the Recommender. */
  recommend: boolean;
  /** This agent's IP (CIMI `agent.device_ip`, else HOST_IP): tells the local agent from remote ones. */
  myIp: string;
  /** CIMI `agent.leader_ip`; null at the top of the hierarchy. */
  leaderIp: string | null;
  /** Port of every LM's API (the original's SERVER_PORT): remote agents and the leader are reached on it. */
  lmPort: number;
}

/** How the workflow reaches an agent (DESIGN §4): its LM's task queue, or its LM's internal HTTP API. */
export type AgentRoute = 'temporal' | 'http';

export type AgreementState = 'none' | 'started' | 'stopped' | 'terminated';

export interface PeerState {
  /** True while this instance's +1 is counted in UM `apps_running`. */
  appsRunningCounted: boolean;
  /** UM transitions sent so far; the next one's idempotency key is derived from it. */
  appsRunningSeq: number;
  agreementState: AgreementState;
  /** Route of each agent IP, decided once when it is first deployed. */
  routes: Record<string, AgentRoute>;
}

export function initialPeerState(): PeerState {
  return { appsRunningCounted: false, appsRunningSeq: 0, agreementState: 'none', routes: {} };
}

/** The User-Management policy check of one agent (`/check`, or `check-agent-um` of its LM). */
export interface UmCheckVerdict {
  result: boolean;
  message: string;
  /** `sharing_model.device_id`, copied into the agent's `device_id`. */
  deviceId: string | null;
}

/** The Service Manager's QoS answer: always HTTP 200, the outcome is `status`. */
export interface QosAnswer {
  status: number;
  message: string;
  agents: Array<{ device_id?: string; allow?: boolean }>;
}

/** What an agent's LM can run. */
export interface AgentCapabilities {
  execTypes: ExecType[];
  swarmManager: boolean;
  /** Why the swarm check said what it said. */
  swarmMessage: string;
}

/** An agent entry as a remote LM reports it after `service-instance-int`. */
export interface RemoteAgentReport {
  status: string;
  container_id: string;
  ports: number[];
  agent_param: string;
}

/** The agent host the CIMI `agent` resource describes (this LM's own agent). */
export interface CimiAgentInfo {
  deviceId: string;
  deviceIp: string;
  leaderIp: string | null;
}

/** How the first phase of an mF2C instance ended; the API answers the submit from it. */
export interface SelectionOutcome {
  outcome: 'deploy' | 'forwarded' | 'failed';
  message: string;
}

/** The body a child LM POSTs to its leader's `/api/v2/lm/service` (spec/original-lm.md §8.5). */
export interface LeaderForwardBody {
  service_id?: string;
  service?: Record<string, unknown>;
  user_id: string;
  sla_template?: string;
  service_instance_id: string;
  /** What is left of the instance's `expires_in`: the leader's instance expires when this one would have. */
  expires_in?: number;
}
