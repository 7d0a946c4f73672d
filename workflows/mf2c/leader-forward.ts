/**
 * Not enough agents here → the request goes to the leader's LM under the same instance id
 * (spec/original-lm.md §8.5), which reuses the instance (the original made a second one: bug C10).
 * Impossible without a leader, or when this agent is its own leader.
 */
import type { LeaderForwardBody, SelectionOutcome } from '../model/peers';
import type { InstanceContext } from '../instance-context';
import { onceCalls } from './peer-proxies';
import { sendOnce } from './send-once';

export async function forwardToLeader(ctx: InstanceContext, why: string): Promise<SelectionOutcome> {
  const { input, inst } = ctx;
  const { mf2c, service } = input;
  const failed = (reason: string): SelectionOutcome => ({
    outcome: 'failed',
    message: `Not enough resources found in current cluster (${why}) and the request cannot go to a leader: ${reason}`,
  });
  if (mf2c === undefined) return failed('not in mF2C mode');
  const leader = mf2c.leaderIp;
  if (leader === null) return failed('this agent has no leader (CIMI agent.leader_ip is empty)');
  if (leader === mf2c.myIp) return failed(`my_ip == leader_ip (${leader}): this agent is the leader`);
  const body: LeaderForwardBody = {
    // An inline service without id travels inline: the leader cannot fetch it.
    ...(service.id === undefined ? { service: { ...service } } : { service_id: service.id }),
    user_id: inst.user,
    ...(input.slaTemplate === null ? {} : { sla_template: input.slaTemplate }),
    service_instance_id: inst.id,
    ...(inst.expires_at === undefined ? {} : { expires_in: Math.max(1, Math.ceil((Date.parse(inst.expires_at) - Date.now()) / 1000)) }),
  };
  ctx.record('forward', 'info', `forwarding to the leader's LM at ${leader}:${mf2c.lmPort}`);
  const result = await sendOnce(() => onceCalls.forwardToLeader({ ip: leader, port: mf2c.lmPort, body }));
  if (result.kind === 'ok') {
    ctx.record('forward', 'ok', `the leader ${leader} took the instance over: ${result.value}`);
    return {
      outcome: 'forwarded',
      message: `Not enough resources found in current cluster => Request forwarded to Leader ${leader}. Service deployment operation is being processed...`,
    };
  }
  ctx.record('forward', 'failed', `the leader ${leader} did not take the instance: ${result.message}`);
  return failed(`the leader's LM (${leader}) did not take it: ${result.message}`);
}
