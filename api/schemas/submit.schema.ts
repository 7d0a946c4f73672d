/** Body of `POST /api/v2/lm/service`. */
import { z } from 'zod';
import { serviceSchema, ServiceSchema } from './service.schema';

/** An IP or host name: it becomes part of a task-queue name and of URLs, so nothing else is allowed. */
/** An agent's IP address or host name (no anchors: it is also part of larger patterns). */
export const AGENT_IP_SOURCE = '[A-Za-z0-9][A-Za-z0-9.:-]{0,252}';

export const AgentIpSchema = z
  .string({ error: 'agent_ip is required' })
  .regex(new RegExp(`^${AGENT_IP_SOURCE}$`), 'agent_ip must be an IP address or a host name')
  .meta({ example: '192.168.1.31' });

const MAX_EXPIRES_IN_S = 10 * 365 * 86_400;

const SubmitFields = z.looseObject({
  service: ServiceSchema.optional(),
  service_id: z.string().min(1).optional().meta({ example: 'service/2f6d0a1e-…', description: 'A service in CIMI (mF2C mode)' }),
  sla_template: z.string().min(1).optional().meta({ example: 'sla-template/t1' }),
  user_id: z.string().min(1).optional(),
  agents_list: z
    .array(z.looseObject({ agent_ip: AgentIpSchema }))
    .min(1, 'agents_list must name at least one agent, or be left out')
    .max(100)
    .optional()
    .meta({ description: 'Agents to deploy on; default: the Recommender (mF2C) or this agent (standalone)' }),
  all_or_nothing: z
    .boolean()
    .default(false)
    .meta({ description: 'If any agent fails, remove the others and end in `error` instead of `degraded`' }),
  expires_in: z
    .number({ error: 'expires_in must be a number of seconds' })
    .int('expires_in must be a whole number of seconds')
    .min(1, 'expires_in must be at least 1 second')
    .max(MAX_EXPIRES_IN_S, `expires_in must be at most ${MAX_EXPIRES_IN_S} seconds (10 years)`)
    .optional()
    .meta({
      description:
        'Terminate the instance this many seconds after submit (a durable timer: LM restarts do not reset it); an incomplete terminate is tried again after LM_EXPIRY_RETRY_S, doubling',
      example: 3600,
    }),
  service_instance_id: z.string().min(1).optional().meta({ description: 'Internal: set by a child LM forwarding to its leader' }),
});

/** mF2C mode: the service inline or its CIMI id. */
export const SubmitBodySchema = SubmitFields.refine((body) => body.service !== undefined || body.service_id !== undefined, {
  message: 'parameter not found: service / service_id; send the service inline as "service" or its CIMI id as "service_id"',
}).meta({ id: 'SubmitRequest' });

/**
 * Standalone mode: there is no CIMI to read a `service_id` from, and no leader forwarding instances to this LM,
 * so the service comes inline and `service_instance_id` is refused (the document says so: `not: {}`).
 */
const STANDALONE_NEEDS_SERVICE =
  'parameter not found: service / service_id: STANDALONE mode takes the service inline as "service" (a "service_id" needs CIMI, i.e. LM_MODE=MF2C)';

export const StandaloneSubmitBodySchema = SubmitFields.extend({
  service: serviceSchema(STANDALONE_NEEDS_SERVICE, 'StandaloneService'),
  service_instance_id: z
    .unknown()
    .refine((value) => value === undefined, 'service_instance_id is set by a child LM forwarding to its leader in mF2C mode; leave it out')
    .optional()
    .meta({ not: {}, description: 'mF2C mode only (a child LM forwarding to its leader): refused here' }),
}).meta({ id: 'StandaloneSubmitRequest' });

export type SubmitBody = z.infer<typeof SubmitBodySchema>;
