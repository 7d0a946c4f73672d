/** Messages of the service-instance workflow: updates (operations), signals (notifications), queries (reads). */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { StartJobRequest } from './model/compss-job';
import type { ServiceInstance, TimelineEntry, TimelinePage } from './model/instance';
import type { AgentPresence } from './model/agents';
import type { SelectionOutcome } from './model/peers';
import type { InstanceProjection } from './model/projection';

/** Updates answer with the instance as it is once the operation has settled. */
export const startUpdate = defineUpdate<ServiceInstance>('start');
export const stopUpdate = defineUpdate<ServiceInstance>('stop');
export const restartUpdate = defineUpdate<ServiceInstance>('restart');
export const terminateUpdate = defineUpdate<ServiceInstance>('terminate');

export interface StartJobResult {
  /** The COMPSs application id, as text: it exceeds 2^53. */
  compss_app_id: string;
  instance: ServiceInstance;
}

/** COMPSs only: starts an application on the master agent with every started agent as a resource. */
export const startJobUpdate = defineUpdate<StartJobResult, [StartJobRequest]>('start-job');

export const NOTIFICATION_TYPES = ['qos_enforcement', 'um_warning', 'sla_notification'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export interface Notification {
  type: NotificationType;
  /** Identical notifications share a key; the workflow handles a key once. */
  key: string;
  data: Record<string, unknown>;
}

export const notificationSignal = defineSignal<[Notification]>('notification');

/** How far a long runtime step has got (an image pull), sent by the agent's worker a handful of times per step. */
export interface StepProgress {
  step: string;
  /** `agentLabel` of the agent: `<url>#<index>`. */
  agent: string;
  /** e.g. `pulling image registry/app:1 … 45% (1.9 of 4.2 MB, 0/1 layers)`. */
  message: string;
  /** The step is past what it reported: forget the line. */
  done: boolean;
}

export const progressSignal = defineSignal<[StepProgress]>('progress');

/** The agent's runtime reported a change to one of the instance's workloads: observe the agents now. */
export const runtimeChangedSignal = defineSignal('runtime-changed');

/** An agent of the instance was lost (its LM silent for LM_AGENT_LOST_S) or is back. */
export const agentPresenceSignal = defineSignal<[AgentPresence]>('agent-presence');

/** Answers once the instance knows where it runs: deployed here, forwarded to the leader, or failed (mF2C). */
export const selectionUpdate = defineUpdate<SelectionOutcome>('selection');

/** Keys of the notifications being handled: an identical one sent now is merged. */
export const notificationsInFlightQuery = defineQuery<string[]>('notifications-in-flight');

export const instanceQuery = defineQuery<ServiceInstance>('instance');
export const timelineQuery = defineQuery<TimelineEntry[]>('timeline');

export const timelineSinceQuery = defineQuery<TimelinePage, [number]>('timeline-since');

/** What the read model gets of the instance: entries from the given number (null: those it has not confirmed). */
export const projectionQuery = defineQuery<InstanceProjection, [number | null]>('projection');
