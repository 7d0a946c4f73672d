/** What starts a service-instance workflow, and what a continued run carries over (plain JSON). */
import type { AgentPresence } from './agents';
import type { ServiceInstance, TimelineEntry } from './instance';
import type { ProjectionState } from './projection';
import type { PeerState, PeerSwitches, Mf2cContext } from './peers';
import type { PlacementRecord } from './placement';
import type { Service } from './service';

export interface AgentRequest {
  agent_ip: string;
}

export interface WorkflowSettings {
  /** How long an agent's queue may go unpolled before its agent counts as unreachable. */
  agentTimeoutMs: number;
  /** Compensate (remove) the deployed agents when any agent fails, instead of running `degraded`. */
  allOrNothing: boolean;
  /**
   * How often a settled instance compares its agents with what the runtime reports; 0 or absent (instances
   * started before this setting existed, whose histories must replay unchanged): never. Since
   * OBSERVED_BY_AGENT_SWEEP only agents driven over HTTP are observed on this timer; the others' LMs signal changes.
   */
  observeIntervalMs?: number;
  /** The instance terminates itself this long after it was submitted; absent: never. */
  expiresInMs?: number;
  /** With an expiry: the first wait before an incomplete terminate at expiry is tried again (doubling, up to an hour). */
  expiryRetryMs?: number;
}

export interface InstanceState {
  instance: ServiceInstance;
  timeline: TimelineEntry[];
  /** Entries dropped from the front of the timeline to keep the state small. */
  timelineDropped: number;
  /** Keys of the notifications being handled (identical ones arriving meanwhile are merged), newest last. */
  seenNotifications: string[];
  /** What the instance holds at its mF2C peers (UM count, SLA agreement, agent routes); absent without peers. */
  peers?: PeerState;
  /** How far the read model has the instance; absent before its first projection (and in older runs). */
  projection?: ProjectionState;
  /** Workload names whose deploy was attempted and that are not known removed: removal looks for them by name. */
  deployAttempted?: string[];
  /** Recent operations by update id, newest last: a retry with the same id, in a later run too, gets the same answer. */
  recentUpdates?: RecentUpdate[];
  /** Carried over by continue-as-new: a runtime reported a change that was not observed yet. */
  observePending?: boolean;
  /** Carried over by continue-as-new: an agent's presence changed and the instance did not follow it yet. */
  presencePending?: boolean;
  /** Carried over by continue-as-new: terminates at expiry tried so far, and when the next one is due (epoch ms). */
  expiry?: { attempts: number; nextAttemptAt: number | null };
  /** Its agents' LMs that are lost now, by IP, as their presence workflows announced it. */
  lostAgents?: Record<string, AgentPresence>;
  /** The newest announcement seen per agent IP. */
  presenceEpochs?: Record<string, number>;
  /** A terminate was incomplete: it runs again when a lost agent of the instance is back. */
  terminateWhenBack?: boolean;
}

/** How an operation (an update) ended, kept so that the same update id sent again is answered the same. */
export interface RecentUpdate {
  id: string;
  /** The update's name: an id reused for another operation is not the same request. */
  operation: string;
  /** The instance as the operation answered it. */
  instance: ServiceInstance;
  /** start-job: the COMPSs application it started. */
  compss_app_id?: string;
  /** Present when the operation failed: the failure it answered. */
  failure?: { type: string; message: string };
}

export interface ServiceInstanceInput {
  uuid: string;
  service: Service;
  user: string;
  slaTemplate: string | null;
  agents: AgentRequest[];
  device: { id: string; ip: string };
  settings: WorkflowSettings;
  /** Peers this instance talks to; absent (standalone without peer URLs, recorded histories): none. */
  peers?: PeerSwitches;
  /** mF2C mode only: how agents are chosen and where a request goes when there are not enough. */
  mf2c?: Mf2cContext;
  /** Standalone without `agents_list`: how the API chose `agents` among the cluster's agents (for the timeline). */
  placement?: PlacementRecord;
  /** When the API accepted the submit: the instance's `created`, as in the memo the API started the workflow with. */
  submittedAt?: string;
  /** Present in a continued run: the state of the previous run. */
  state?: InstanceState;
}
