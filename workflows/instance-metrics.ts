/**
 * The LM's own metrics, through the SDK's meter: they reach the worker's Prometheus endpoint beside the
 * SDK's (LM_METRICS_ADDRESS) and are not emitted again when a workflow replays.
 */
import * as wf from '@temporalio/workflow';
import type { AgentStatus, InstanceStatus } from './model/status';

/** An instance settled after `step` (deploy, start, stop, restart, terminate, observe, a notification…). */
export function countSettled(step: string, status: InstanceStatus, execType: string): void {
  wf.metricMeter
    .createCounter('lm_instance_settled', '1', 'service instances settling, by the step that settled them and the status reached')
    .add(1, { step, status, exec_type: execType });
}

/** The runtime reported an agent differently from what the LM recorded. */
export function countDrift(status: AgentStatus, execType: string): void {
  wf.metricMeter
    .createCounter('lm_agent_drift', '1', 'agents found changed outside the LM, by the status they were found in')
    .add(1, { status, exec_type: execType });
}
