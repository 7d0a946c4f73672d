/**
 * What keeps an instance cheap while it idles and cheap to bring back when something happens to it: no command
 * that changes nothing, no timer of its own (its agents' LMs watch the runtimes and signal the instance when a
 * workload changed), and a history short enough that replaying an evicted instance takes milliseconds. Each is
 * behind a patch: instances started before replay as they ran.
 */
import type { WorkflowInfo } from '@temporalio/workflow';
import type { ServiceInstance } from './model/instance';

/**
 * An evicted instance replays its whole history when a message arrives. A deploy is about 15 events, an operation
 * about 12: 600 events are some 40 operations and replay in tens of milliseconds, where the server's own
 * suggestion (4 Ki events) takes a few hundred under load; a carried-over state costs one event.
 */
export const CONTINUE_AS_NEW_AT = { events: 600, bytes: 512 * 1024 };

export function historyIsLong(info: Pick<WorkflowInfo, 'historyLength' | 'historySize'>): boolean {
  return info.historyLength >= CONTINUE_AS_NEW_AT.events || info.historySize >= CONTINUE_AS_NEW_AT.bytes;
}

/**
 * What the memo says of an instance, for telling whether it changed: everything but `updated`, which moves with
 * every timeline entry (the timeline and the read model carry it; the memo serves listings and the agents' sweep).
 */
export function memoKey(instance: ServiceInstance | undefined): string | null {
  if (instance === undefined) return null;
  return JSON.stringify({ ...instance, updated: undefined });
}
