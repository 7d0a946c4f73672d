/**
 * User Management's `apps_running`: +1 when the instance starts running, −1 when it stops running, EXACTLY
 * once per transition, across activity retries and worker crashes.
 *
 * Why this holds, given that UM's `PUT /sharing-model {"apps_running": ±1}` adds on every receipt and offers
 * no read-back:
 * 1. The intent is decided from durable state, not from the operation: `appsRunningCounted` says whether our
 *    +1 is outstanding, so a restart sends −1 then +1, a stop of a stopped instance sends nothing, and a
 *    terminate of a stopped one sends nothing (the original drifted here: bug C6).
 * 2. The intent is recorded in the workflow (a workflow task completes with the seq bumped and the activity
 *    scheduled) before the call leaves, and each transition has its own deterministic key
 *    `<instance id>/apps-running/<seq>`: a replay re-derives the same key and never schedules a second call.
 * 3. The call is a single-attempt activity (send-once.ts). Temporal never retries it on its own, so a worker
 *    killed after UM applied the change (but before the result was recorded) does not cause a second PUT:
 *    the lost attempt times out as "unknown" and counts as applied. Only failures that prove UM did not
 *    apply it (connection refused, UM's 5xx) are resent.
 * The one case left is a worker killed after scheduling but before sending: counted though UM never saw it.
 * UM floors the counter at 0, so the later −1 cannot push it negative; we prefer that to a double count.
 */
import type { InstanceContext } from '../instance-context';
import { isRunning } from '../instance-context';
import { onceCalls } from './peer-proxies';
import { sendOnce } from './send-once';

export async function syncAppsRunning(ctx: InstanceContext): Promise<void> {
  if (ctx.input.peers?.userManagement !== true) return;
  const peers = ctx.peerState();
  const running = isRunning(ctx.inst);
  if (running === peers.appsRunningCounted) return;
  const delta: 1 | -1 = running ? 1 : -1;
  peers.appsRunningSeq += 1;
  const key = `${ctx.inst.id}/apps-running/${peers.appsRunningSeq}`;
  const sign = delta > 0 ? '+1' : '-1';
  ctx.record('user-management', 'info', `apps_running ${sign} (key ${key})`);
  const result = await sendOnce(() => onceCalls.changeAppsRunning({ delta, key }));
  switch (result.kind) {
    case 'ok':
      peers.appsRunningCounted = running;
      ctx.record('user-management', 'ok', `User Management counted apps_running ${sign}`);
      return;
    case 'unknown':
      peers.appsRunningCounted = running;
      ctx.record(
        'user-management',
        'failed',
        `apps_running ${sign} may have reached User Management (${result.message}); counted as sent, not resent to avoid a double count`,
      );
      return;
    case 'rejected':
    case 'not-applied':
      ctx.record('user-management', 'failed', `apps_running ${sign} was not applied: ${result.message}`);
  }
}
