/** Documents the API returns: the service instance (the original's fields) and its timeline. */
import { z } from 'zod';
import { EXEC_TYPES } from '../../workflows/model/service';
import { AGENT_STATUSES, INSTANCE_STATUSES } from '../../workflows/model/status';

export const AgentEntrySchema = z
  .strictObject({
    url: z.string().meta({ description: "The agent's IP" }),
    device_id: z.string(),
    app_type: z.enum(EXEC_TYPES),
    ports: z.array(z.int()).meta({ description: 'Host ports published on the agent' }),
    status: z.enum(AGENT_STATUSES),
    container_id: z.string().meta({ description: 'Container id, swarm service id, stack or deployment name; "-" before deploy' }),
    compss_app_id: z.string().meta({ description: 'COMPSs application id of the last job (text: it exceeds 2^53)' }),
    allow: z.boolean(),
    master_compss: z.boolean(),
    agent_param: z.string(),
    name: z.string().meta({ description: 'Deterministic workload name on the agent' }),
    error: z.string().nullable().meta({ description: 'Why the agent failed; null when it did not' }),
  })
  .meta({ id: 'Agent' });

export const ServiceInstanceSchema = z
  .strictObject({
    id: z.string().meta({ example: 'service-instance/2f6d0a1e-5c8b-4d53-9b8e-1f1d1c0e4a77' }),
    user: z.string(),
    device_id: z.string(),
    device_ip: z.string(),
    parent_device_id: z.string(),
    parent_device_ip: z.string(),
    service: z.string().meta({ description: 'Service id, or name for an inline service without id' }),
    service_name: z.string(),
    agreement: z.string().meta({ description: 'SLA agreement id; "not-defined" without one' }),
    status: z.enum(INSTANCE_STATUSES),
    service_type: z.enum(EXEC_TYPES),
    created: z.string(),
    updated: z.string(),
    agents: z.array(AgentEntrySchema),
    error: z.string().nullable().meta({ description: 'Why the instance is `error` or `degraded`' }),
    agreement_error: z
      .string()
      .nullable()
      .optional()
      .meta({ description: 'Why the SLA agreement could not be created, started, stopped or terminated (the instance runs anyway)' }),
    expires_at: z
      .string()
      .optional()
      .meta({ description: 'When the instance terminates itself (submitted with `expires_in`); absent: never' }),
    ui_url: z.string().meta({
      description:
        "The instance's workflow on the Temporal Web UI (LM_TEMPORAL_UI_URL): its lifecycle step by step, search attributes and current details",
      example: 'http://localhost:8233/namespaces/default/workflows/service-instance%2F2f6d0a1e-5c8b-4d53-9b8e-1f1d1c0e4a77',
    }),
  })
  .meta({ id: 'ServiceInstance' });

export const TimelineEntrySchema = z
  .strictObject({
    at: z.string().meta({ description: 'ISO-8601 time, UTC' }),
    step: z.string().meta({ example: 'deploy' }),
    outcome: z.enum(['ok', 'failed', 'info', 'rejected']),
    agent: z.string().optional().meta({ description: '<agent ip>#<index in agents>' }),
    message: z.string().optional(),
  })
  .meta({ id: 'TimelineEntry' });
