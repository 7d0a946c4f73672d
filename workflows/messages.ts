/** Messages of the service-instance workflow: updates (operations), signals (notifications), queries (reads). */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { StartJobRequest } from './model/compss-job';
import type { ServiceInstance, TimelineEntry, TimelinePage } from './model/instance';
import type { SelectionOutcome } from './model/peers';

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

/** The agent's runtime reported a change to one of the instance's workloads: observe the agents now. */
export const runtimeChangedSignal = defineSignal('runtime-changed');

/** Answers once the instance knows where it runs: deployed here, forwarded to the leader, or failed (mF2C). */
export const selectionUpdate = defineUpdate<SelectionOutcome>('selection');

/** Keys of the notifications being handled: an identical one sent now is merged. */
export const notificationsInFlightQuery = defineQuery<string[]>('notifications-in-flight');

export const instanceQuery = defineQuery<ServiceInstance>('instance');
export const timelineQuery = defineQuery<TimelineEntry[]>('timeline');

export const timelineSinceQuery = defineQuery<TimelinePage, [number]>('timeline-since');
