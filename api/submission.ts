/** Turns a validated submit request into the workflow's input (standalone: inline service, given or local agents). */
import { createHash, randomUUID } from 'node:crypto';
import type { LmConfig } from '../common/config';
import type { ServiceInstanceInput, WorkflowSettings } from '../workflows/model/input';
import type { Placement } from '../workflows/model/placement';
import type { Service } from '../workflows/model/service';
import type { SubmitBody } from './schemas/submit.schema';

/** The original's default user when neither the request nor User Management names one. */
export const DEFAULT_USER = 'ADMIN';

/** A repeated submit with the same Idempotency-Key maps to the same instance id. */
export function instanceUuid(idempotencyKey: string | undefined): string {
  if (!idempotencyKey) return randomUUID();
  const hex = createHash('sha256').update(`lm-submit:${idempotencyKey}`).digest('hex');
  // Shaped as a version-5-style UUID so it passes every UUID check downstream.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** What every new instance is told by this LM's configuration, whichever mode submitted it. */
export function workflowSettings(config: LmConfig, body: SubmitBody): WorkflowSettings {
  return {
    agentTimeoutMs: config.agentTimeoutMs,
    allOrNothing: body.all_or_nothing,
    observeIntervalMs: config.observeIntervalMs,
    // Absent unless asked for: instances without it issue exactly the commands they always did.
    ...(body.expires_in === undefined ? {} : { expiresInMs: body.expires_in * 1000, expiryRetryMs: config.expiryRetryMs }),
  };
}

/** `placement`: where a standalone submit without `agents_list` goes (api/standalone-placement.ts). */
export function workflowInput(
  body: SubmitBody,
  service: Service,
  uuid: string,
  config: LmConfig,
  placement?: Placement & { kind: 'placed' },
): ServiceInstanceInput {
  // DESIGN §7: standalone talks to the SLA Manager and User Management only when their URLs are set.
  const sla = config.peers.slaManager !== null;
  const userManagement = config.peers.userManagement !== null;
  return {
    uuid,
    service,
    user: body.user_id ?? DEFAULT_USER,
    slaTemplate: body.sla_template ?? null,
    agents: (body.agents_list ?? (placement?.agents ?? [config.hostIp]).map((agent_ip) => ({ agent_ip }))).map((agent) => ({
      agent_ip: agent.agent_ip,
    })),
    device: { id: 'not-defined', ip: config.hostIp },
    settings: workflowSettings(config, body),
    ...(sla || userManagement ? { peers: { cimi: false, sla, userManagement } } : {}),
    ...(placement === undefined ? {} : { placement: { rule: placement.rule, verdicts: placement.verdicts } }),
  };
}
