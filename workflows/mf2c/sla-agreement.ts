/**
 * The instance's SLA agreement (spec/original-lm.md §8.9): created and started once the instance runs,
 * stopped and started with it, terminated with it. The SLA Manager failing never fails the instance: 5xx
 * answers are retried (bounded), a 4xx is recorded on the timeline and shown in `agreement_error`.
 */
import { describeFailure } from '../failure-text';
import { WORKFLOW_TASK_QUEUE } from '../model/task-queues';
import type { AgreementOperation } from '../../activities/peers/sla-manager';
import { isRunning, type InstanceContext } from '../instance-context';
import { onceCalls, peerCalls } from './peer-proxies';
import { sendOnce } from './send-once';

const enabled = (ctx: InstanceContext): boolean => ctx.input.peers?.sla === true;

async function change(ctx: InstanceContext, operation: AgreementOperation): Promise<boolean> {
  const { inst } = ctx;
  try {
    await peerCalls.changeAgreement({ agreementId: inst.agreement, operation });
    ctx.record('sla', 'ok', `agreement ${inst.agreement}: ${operation}`);
    return true;
  } catch (err) {
    inst.agreement_error = `SLA agreement ${inst.agreement} could not ${operation}: ${describeFailure(err, WORKFLOW_TASK_QUEUE)}`;
    ctx.record('sla', 'failed', inst.agreement_error);
    return false;
  }
}

async function create(ctx: InstanceContext): Promise<boolean> {
  const { inst, input } = ctx;
  const templateId = input.slaTemplate;
  if (templateId === null) {
    // The original sent the placeholder "SLA_TEMPLATE_ID" and stored placeholders as ids (bug B12).
    ctx.record('sla', 'info', 'no sla_template in the request: the instance runs without an SLA agreement');
    ctx.peerState().agreementState = 'terminated';
    return false;
  }
  const result = await sendOnce(() => onceCalls.createAgreement({ templateId, user: inst.user }));
  if (result.kind === 'ok') {
    inst.agreement = result.value;
    inst.agreement_error = null;
    ctx.record(
      'sla',
      'ok',
      `agreement ${result.value} created from ${templateId}${result.attempts > 1 ? ` (attempt ${result.attempts})` : ''}`,
    );
    return true;
  }
  inst.agreement_error = `no SLA agreement: ${result.message}`;
  ctx.record(
    'sla',
    'failed',
    result.kind === 'unknown' ? `${inst.agreement_error}; not retried, it may exist at the SLA Manager` : inst.agreement_error,
  );
  // A refused or ambiguous creation is not retried at every start: it would fail the same way, or duplicate.
  ctx.peerState().agreementState = 'terminated';
  return false;
}

/** Brings the agreement in line with the instance: started while it runs, stopped while it does not. */
export async function syncAgreement(ctx: InstanceContext): Promise<void> {
  if (!enabled(ctx)) return;
  const peers = ctx.peerState();
  const running = isRunning(ctx.inst);
  if (running && (peers.agreementState === 'none' || peers.agreementState === 'stopped')) {
    if (peers.agreementState === 'none') {
      if (!(await create(ctx))) return;
      peers.agreementState = 'stopped';
    }
    if (await change(ctx, 'start')) peers.agreementState = 'started';
  } else if (!running && peers.agreementState === 'started') {
    if (await change(ctx, 'stop')) peers.agreementState = 'stopped';
  }
}

export async function terminateAgreement(ctx: InstanceContext): Promise<void> {
  if (!enabled(ctx)) return;
  const peers = ctx.peerState();
  if (peers.agreementState !== 'started' && peers.agreementState !== 'stopped') return;
  if (await change(ctx, 'terminate')) peers.agreementState = 'terminated';
}
