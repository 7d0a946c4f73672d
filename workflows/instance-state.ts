/** Pure helpers that build and change the workflow's state; no Temporal API, so they are unit-tested directly. */
import { instanceIdOf, workloadName, type AgentEntry, type TimelineEntry, type TimelinePage } from './model/instance';
import type { InstanceState, RecentUpdate, ServiceInstanceInput } from './model/input';
import type { Service } from './model/service';

/** Timeline entries kept in the state; older ones are counted, not kept (the history keeps them all). */
export const TIMELINE_LIMIT = 500;
const SEEN_NOTIFICATIONS_LIMIT = 200;
/** Update ids remembered across runs: enough for a client's retries, small enough to carry over. */
export const RECENT_UPDATES_LIMIT = 16;

export function newAgentEntry(uuid: string, url: string, index: number, service: Service): AgentEntry {
  return {
    url,
    device_id: '-',
    app_type: service.exec_type,
    ports: [...service.exec_ports],
    status: 'created-not-initialized',
    container_id: '-',
    compss_app_id: '-',
    allow: true,
    master_compss: index === 0,
    agent_param: 'not-defined',
    name: workloadName(uuid, index),
    error: null,
  };
}

export function initialState(input: ServiceInstanceInput, now: string): InstanceState {
  const { service } = input;
  const { expiresInMs } = input.settings;
  return {
    instance: {
      id: instanceIdOf(input.uuid),
      user: input.user,
      device_id: input.device.id,
      device_ip: input.device.ip,
      parent_device_id: 'not-defined',
      parent_device_ip: 'not-defined',
      service: service.id ?? service.name,
      service_name: service.name,
      agreement: 'not-defined',
      status: 'created-not-initialized',
      service_type: service.exec_type,
      created: now,
      updated: now,
      agents: input.agents.map((agent, index) => newAgentEntry(input.uuid, agent.agent_ip, index, service)),
      error: null,
      ...(expiresInMs === undefined ? {} : { expires_at: new Date(Date.parse(now) + expiresInMs).toISOString() }),
    },
    timeline: [],
    timelineDropped: 0,
    seenNotifications: [],
  };
}

/** The entries numbered `since` and after (numbers count the dropped ones too). */
export function timelineSince(state: InstanceState, since: number, ended: boolean): TimelinePage {
  const next = state.timelineDropped + state.timeline.length;
  const entries = state.timeline.slice(Math.max(0, since - state.timelineDropped));
  return { entries, next, status: state.instance.status, ended: ended || state.instance.status === 'terminated' };
}

export function appendTimeline(state: InstanceState, entry: TimelineEntry): void {
  state.timeline.push(entry);
  const excess = state.timeline.length - TIMELINE_LIMIT;
  if (excess > 0) {
    state.timeline.splice(0, excess);
    state.timelineDropped += excess;
  }
}

/** Records a notification key as in flight; false when an identical one already is (it is merged into it). */
export function rememberNotification(state: InstanceState, key: string): boolean {
  if (state.seenNotifications.includes(key)) return false;
  state.seenNotifications.push(key);
  if (state.seenNotifications.length > SEEN_NOTIFICATIONS_LIMIT) state.seenNotifications.shift();
  return true;
}

/** The notification is handled: an identical one arriving later is handled again. */
export function forgetNotification(state: InstanceState, key: string): void {
  state.seenNotifications = state.seenNotifications.filter((seen) => seen !== key);
}

export function rememberDeployAttempt(state: InstanceState, name: string): void {
  const attempted = (state.deployAttempted ??= []);
  if (!attempted.includes(name)) attempted.push(name);
}

export function forgetDeployAttempt(state: InstanceState, name: string): void {
  if (state.deployAttempted === undefined) return;
  state.deployAttempted = state.deployAttempted.filter((attempted) => attempted !== name);
}

export function wasDeployAttempted(state: InstanceState, name: string): boolean {
  return state.deployAttempted?.includes(name) ?? false;
}

/** The answer given to update `id` of `operation`, if it is one of the recent ones. */
export function recallUpdate(state: InstanceState, id: string, operation: string): RecentUpdate | null {
  return state.recentUpdates?.find((update) => update.id === id && update.operation === operation) ?? null;
}

/** Keeps how update `update.id` ended (a copy: the instance changes later), dropping the oldest past the limit. */
export function rememberUpdate(state: InstanceState, update: RecentUpdate): void {
  const recent = (state.recentUpdates ??= []).filter((kept) => kept.id !== update.id);
  recent.push(JSON.parse(JSON.stringify(update)) as RecentUpdate);
  state.recentUpdates = recent.slice(-RECENT_UPDATES_LIMIT);
}
