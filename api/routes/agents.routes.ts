/** The cluster's agents (DESIGN §10): every agent whose LM joined, and every agent a live instance names. */
import { z } from 'zod';
import { notFound } from '../api-error';
import type { ApiContext } from '../api-context';
import type { RouteBuilder } from '../route-builder';
import { AgentDetailSchema, AgentSchema } from '../schemas/agent.schema';
import { okEnvelope } from '../schemas/envelope.schema';
import { AgentIpSchema } from '../schemas/submit.schema';

const AgentListResponse = okEnvelope('AgentList', { agents: z.array(AgentSchema) });
const AgentResponse = okEnvelope('AgentResponse', { agent: AgentDetailSchema });
const AgentParams = z.object({ ip: AgentIpSchema.meta({ description: "The agent's IP (its HOST_IP)" }) });

const ALIVE_RULE =
  'An agent is alive while its LM heartbeats its presence check; it is lost after LM_AGENT_LOST_S of silence (its ' +
  'instances turn `degraded`, their agents there `unknown`), and alive again as soon as its LM is back. A runtime ' +
  'that stopped answering (its dockerd down) shows in `runtimes`, the agent itself stays alive.';

export function agentsRoutes(routes: RouteBuilder, context: ApiContext): void {
  const { agents } = context;
  routes.add(
    {
      method: 'get',
      paths: ['/api/v2/lm/agents'],
      summary: 'The agents of the cluster: their LM, liveness, runtimes and load',
      description: ALIVE_RULE,
      tag: 'agents',
      access: 'client',
      responses: {
        200: {
          description: 'Every agent whose LM joined the cluster, and every agent a live instance names, by IP',
          schema: AgentListResponse,
        },
        503: { description: 'Temporal cannot be reached' },
      },
    },
    async (_input, res) => {
      const list = await agents.list();
      res.json({ error: false, message: `${list.length} agent(s), ${list.filter((a) => a.alive).length} alive`, agents: list });
    },
  );
  routes.add(
    {
      method: 'get',
      paths: ['/api/v2/lm/agents/:ip'],
      summary: 'One agent of the cluster, with the instances it runs',
      description: ALIVE_RULE,
      tag: 'agents',
      access: 'client',
      params: AgentParams,
      responses: {
        200: { description: 'The agent', schema: AgentResponse },
        400: { description: 'The ip is not an IP address or host name' },
        404: { description: 'No LM of that agent joined the cluster and no live instance names it' },
        503: { description: 'Temporal cannot be reached' },
      },
    },
    async ({ params }, res) => {
      const agent = await agents.get(params.ip);
      if (agent === null) {
        throw notFound(
          `agent ${params.ip} is not known to the cluster: no LM of it joined (scripts/start.sh agent with HOST_IP=${params.ip}) and no live instance names it`,
        );
      }
      res.json({ error: false, message: `agent ${agent.ip} is ${agent.alive ? 'alive' : 'not alive'}`, agent });
    },
  );
}
