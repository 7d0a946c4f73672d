/** What `GET /api/v2/lm/agents` and `GET /api/v2/lm/agents/<ip>` answer. */
import { z } from 'zod';
import { EXEC_TYPES } from '../../workflows/model/service';
import { AGENT_ROLES } from '../../workflows/model/agents';

const RuntimeSchema = z.object({
  available: z.boolean(),
  message: z.string().meta({ description: "What the agent's LM found: the engine, or why the runtime cannot be used" }),
});

export const AgentSchema = z
  .object({
    ip: z.string().meta({ example: '192.168.1.31' }),
    alive: z.boolean().meta({ description: 'Its LM answers now (its presence check runs); false: stopped, lost, or never joined' }),
    role: z.enum(AGENT_ROLES).nullable().meta({
      description:
        '`full`: orchestrates and runs workloads (scripts/start.sh); `agent`: runs workloads (scripts/start.sh agent); null: no LM joined',
    }),
    since: z.string().nullable().meta({ description: 'When `alive` last changed' }),
    reason: z.string().nullable().meta({ description: 'Why it is not alive' }),
    last_seen: z.string().nullable().meta({ description: 'The last report or heartbeat of its LM' }),
    runtimes: z
      .object({ docker: RuntimeSchema, swarm: RuntimeSchema, kubernetes: RuntimeSchema })
      .nullable()
      .meta({ description: 'What it offers, as its LM last probed it (every few seconds while alive)' }),
    exec_types: z.array(z.enum(EXEC_TYPES)).meta({ description: 'Exec types it can run now' }),
    instance_count: z.number().int().meta({ description: 'Live instances with an agent on it' }),
    agent_count: z.number().int().meta({ description: 'Agents of those instances on it' }),
    lm: z
      .object({
        identity: z.string(),
        host: z.string(),
        pid: z.number().int(),
        started_at: z.string(),
        api_port: z.number().int().nullable(),
      })
      .nullable()
      .meta({ description: "Its LM process as it introduced itself (`identity` is its workers' Temporal identity)" }),
  })
  .meta({ id: 'ClusterAgent' });

export const AgentDetailSchema = AgentSchema.extend({
  instances: z.array(
    z.object({
      id: z.string(),
      status: z.string(),
      agents: z.array(z.object({ index: z.number().int(), name: z.string(), status: z.string() })),
    }),
  ),
}).meta({ id: 'AgentDetail' });
