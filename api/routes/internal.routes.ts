/**
 * The internal LM-to-LM API (spec/original-lm.md §7.2 (15)(16), DESIGN §4): another agent's LM deploys on,
 * and operates, this agent. The `agent` field is answered as a Python literal, as original LMs expect (they
 * read it with `ast.literal_eval`), and accepted either as that literal or as JSON. The work runs as a short
 * workflow on this agent's task queue (same idempotent runtime activities as an instance's own agents).
 * Guarded by LM_INTERNAL_TOKEN when it is set.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { parsePythonLiteral, toPythonLiteral } from '../../common/python-literal';
import type { AgentStep } from '../../workflows/agent-operation.workflow';
import { FailureType } from '../../workflows/model/failures';
import { uuidOf, workloadName } from '../../workflows/model/instance';
import type { Service } from '../../workflows/model/service';
import { agentTaskQueue } from '../../workflows/model/task-queues';
import type { WorkloadRef } from '../../activities/runtime/workload';
import { ApiError, badRequest, notImplemented } from '../api-error';
import type { ApiContext } from '../api-context';
import { describeZodError } from '../error-mapping';
import type { RouteBuilder } from '../route-builder';
import { ServiceSchema } from '../schemas/service.schema';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OPERATIONS: Record<string, { steps: AgentStep[]; status: string; message: string }> = {
  start: { steps: ['start'], status: 'started', message: 'Start service' },
  // A real restart (the original's restart was only a start).
  restart: { steps: ['stop', 'start'], status: 'started', message: 'Start service' },
  stop: { steps: ['stop'], status: 'stopped', message: 'Stop service' },
  terminate: { steps: ['remove'], status: 'terminated', message: 'Terminate service' },
};

const AgentField = z.union([z.string(), z.looseObject({})]).meta({ description: 'The agent entry: JSON, or a Python literal as original LMs send it' });
const DeployBody = z
  .looseObject({
    service: z.looseObject({}, { error: 'parameter not found: service / service_instance / agent' }),
    service_instance: z.looseObject({ id: z.string() }, { error: 'parameter not found: service / service_instance / agent (service_instance needs its id)' }),
    agent: AgentField.optional(),
  })
  .meta({ id: 'InternalDeployRequest' });
const OperateBody = z
  .looseObject({
    service: z.looseObject({}, { error: 'parameter not found: agent / operation (and service)' }),
    operation: z.string({ error: 'parameter not found: agent / operation' }),
    agent: AgentField.optional(),
    service_instance: z.looseObject({ id: z.string() }).optional().meta({ description: 'Not sent by original LMs; lets this LM find compose projects' }),
  })
  .meta({ id: 'InternalOperationRequest' });
const InternalResponse = z
  .object({
    error: z.literal(false),
    message: z.string(),
    agent: z.string().meta({ description: "The updated agent entry as a Python literal (the original's wire form)" }),
    service: z.string().optional(),
    status: z.string().optional(),
  })
  .meta({ id: 'InternalAgentResponse' });

type Json = Record<string, unknown>;

function agentOf(raw: unknown): Json {
  if (raw === undefined) throw badRequest('parameter not found: agent');
  let agent: unknown = raw;
  if (typeof raw === 'string') {
    try {
      agent = parsePythonLiteral(raw);
    } catch (err) {
      throw badRequest(`agent is neither a JSON object nor a Python dict literal: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (typeof agent !== 'object' || agent === null || Array.isArray(agent)) throw badRequest('agent must be an object (or a Python dict literal)');
  const entry = agent as Json;
  if (typeof entry.url !== 'string' || entry.url.trim() === '') throw badRequest('agent.url is required: the IP of this agent');
  return entry;
}

function serviceOf(raw: Json): Service {
  const parsed = ServiceSchema.safeParse(raw);
  if (!parsed.success) throw badRequest(describeZodError(parsed.error, 'service'));
  return parsed.data;
}

function instanceUuidOf(instance: Json | undefined, agent: Json): string {
  const id = typeof instance?.id === 'string' ? uuidOf(instance.id) : '';
  if (UUID.test(id)) return id.toLowerCase();
  if (instance !== undefined) throw badRequest(`service_instance.id "${String(instance.id)}" is not service-instance/<uuid>`);
  // An original LM does not say which instance an operation is for: the container id names the workload.
  return String(agent.container_id ?? 'unknown').replace(/[^A-Za-z0-9-]/g, '').slice(0, 36) || 'unknown';
}

function indexOf(instance: Json | undefined, url: string): number {
  const agents = Array.isArray(instance?.agents) ? instance.agents : [];
  const index = agents.findIndex((a: unknown) => typeof a === 'object' && a !== null && (a as Json).url === url);
  return Math.max(0, index);
}

function portsOf(agent: Json): number[] {
  return Array.isArray(agent.ports) ? agent.ports.filter((p): p is number => Number.isInteger(p)) : [];
}

/** The runtime's classified failure, as the status other LMs read (4xx: their request; 5xx: this agent). */
function operationFailure(err: unknown): ApiError {
  let cause: unknown = err;
  for (let depth = 0; depth < 5 && cause instanceof Error && !(cause instanceof ApplicationFailure); depth += 1) cause = cause.cause;
  const type = cause instanceof ApplicationFailure ? cause.type : null;
  const message = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
  const status = type === FailureType.InvalidSpec || type === FailureType.ImageNotFound ? 400 : type === FailureType.NotSupported ? 501 : type === FailureType.RuntimeUnavailable ? 503 : 502;
  return new ApiError(status, message);
}

export function internalRoutes(routes: RouteBuilder, { config, gateway }: ApiContext): void {
  const run = async (uuid: string, index: number, operation: string, steps: AgentStep[], ref: WorkloadRef) => {
    try {
      return await gateway.runAgentOperation(`agent-operation/${uuid}/${index}/${operation}`, {
        taskQueue: agentTaskQueue(config.hostIp),
        agentTimeoutMs: config.agentTimeoutMs,
        steps,
        ref,
      });
    } catch (err) {
      throw operationFailure(err);
    }
  };

  routes.add(
    {
      method: 'post',
      paths: ['/api/v2/lm/service-instance-int'],
      summary: 'Internal (LM to LM): deploy a service on this agent, without starting it',
      tag: 'internal',
      access: 'internal',
      body: DeployBody,
      responses: {
        200: { description: 'Deployed: the agent is "waiting"', schema: InternalResponse },
        400: { description: 'A parameter is missing or invalid, or the runtime refused the service' },
        401: { description: 'LM_INTERNAL_TOKEN is set and the token is missing or wrong' },
        502: { description: 'The runtime failed the deploy' },
        503: { description: 'The runtime (Docker…) does not answer' },
      },
    },
    async ({ body }, res) => {
      const agent = agentOf(body.agent);
      const service = serviceOf(body.service);
      const uuid = instanceUuidOf(body.service_instance, agent);
      const url = String(agent.url);
      const index = indexOf(body.service_instance, url);
      const deviceIp = typeof body.service_instance.device_ip === 'string' ? body.service_instance.device_ip : config.hostIp;
      const ref: WorkloadRef = { instanceUuid: uuid, agentIndex: index, agentUrl: url, service, name: workloadName(uuid, index), deviceIp, container_id: '-', ports: [], agent_param: '-' };
      const deployed = await run(uuid, index, 'deploy', ['deploy'], ref);
      const message =
        service.exec_type === 'docker-swarm' ? 'Deploy service in agent (Docker Swarm)' : service.exec_type === 'docker-compose-swarm' ? 'Deploy docker-compose-swarm service in agent' : 'Deploy service in agent';
      res.json({ error: false, message, agent: toPythonLiteral({ ...agent, ...deployed, status: 'waiting' }), service: toPythonLiteral(body.service) });
    },
  );

  routes.add(
    {
      method: 'put',
      paths: ['/api/v2/lm/service-instance-int'],
      summary: 'Internal (LM to LM): start, stop, restart or terminate a service on this agent',
      tag: 'internal',
      access: 'internal',
      body: OperateBody,
      responses: {
        200: { description: 'Done: the agent carries its new status', schema: InternalResponse },
        400: { description: 'A parameter is missing or invalid' },
        401: { description: 'LM_INTERNAL_TOKEN is set and the token is missing or wrong' },
        501: { description: 'Unknown operation' },
        502: { description: 'The runtime failed the operation' },
        503: { description: 'The runtime (Docker…) does not answer' },
      },
    },
    async ({ body }, res) => {
      const operation = OPERATIONS[body.operation];
      if (operation === undefined) throw notImplemented(`operation not defined / implemented: "${body.operation}"; use start, stop, restart or terminate`);
      const agent = agentOf(body.agent);
      const service = serviceOf(body.service);
      const uuid = instanceUuidOf(body.service_instance, agent);
      const url = String(agent.url);
      const index = indexOf(body.service_instance, url);
      const ref: WorkloadRef = {
        instanceUuid: uuid,
        agentIndex: index,
        agentUrl: url,
        service,
        name: workloadName(uuid, index),
        deviceIp: config.hostIp,
        container_id: String(agent.container_id ?? '-'),
        ports: portsOf(agent),
        agent_param: String(agent.agent_param ?? '-'),
      };
      await run(uuid, index, body.operation, operation.steps, ref);
      res.json({ error: false, message: operation.message, agent: toPythonLiteral({ ...agent, status: operation.status }), status: operation.status });
    },
  );
}
