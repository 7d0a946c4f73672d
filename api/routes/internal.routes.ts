/**
 * The internal LM-to-LM API (spec/original-lm.md §7.2 (15)(16), DESIGN §4): another agent's LM deploys on,
 * and operates, this agent. The `agent` field is answered as a Python literal, as original LMs expect (they
 * read it with `ast.literal_eval`), and accepted either as that literal or as JSON. The work runs as a short
 * workflow on this agent's task queue (same idempotent runtime activities as an instance's own agents).
 * `…/status` (not in the original) reports what the runtime says of an agent's workload, so the LM that drives
 * the instance observes remote agents as it does its own. Guarded by the internal token (LM_INTERNAL_TOKEN,
 * else LM_API_TOKEN) when one is set.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { parsePythonLiteral, toPythonLiteral } from '../../common/python-literal';
import type { AgentStep } from '../../workflows/agent-operation.workflow';
import { FailureType } from '../../workflows/model/failures';
import { INSTANCE_ID_PREFIX, uuidOf, workloadName } from '../../workflows/model/instance';
import { AGENT_STATUSES } from '../../workflows/model/status';
import type { Service } from '../../workflows/model/service';
import { agentTaskQueue } from '../../workflows/model/task-queues';
import type { WorkloadRef } from '../../activities/runtime/workload';
import { ApiError, badRequest, notImplemented } from '../api-error';
import type { ApiContext } from '../api-context';
import type { RouteBuilder } from '../route-builder';
import { UUID_SOURCE } from '../schemas/document-patterns';
import { ServiceSchema } from '../schemas/service.schema';
import { AGENT_IP_SOURCE } from '../schemas/submit.schema';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OPERATIONS: Record<string, { steps: AgentStep[]; status: string; message: string }> = {
  start: { steps: ['start'], status: 'started', message: 'Start service' },
  // A real restart (the original's restart was only a start).
  restart: { steps: ['stop', 'start'], status: 'started', message: 'Start service' },
  stop: { steps: ['stop'], status: 'stopped', message: 'Stop service' },
  terminate: { steps: ['remove'], status: 'terminated', message: 'Terminate service' },
};

/** One value of an agent entry as Python's repr() writes it: text, a whole number, True/False/None, or a list. */
const PY_STRING = String.raw`'(?:[^'\\\n]|\\[\\'"nrt])*'|"(?:[^"\\\n]|\\[\\'"nrt])*"`;
const PY_SCALAR = String.raw`${PY_STRING}|-?[0-9]{1,20}|True|False|None`;
const PY_VALUE = String.raw`${PY_SCALAR}|\[(?:(?:${PY_SCALAR})(?:, (?:${PY_SCALAR}))*)?\]`;
/**
 * A key other than `url`, spelled without lookahead (which generators of matching values cannot read): with
 * exactly one `url` the match is linear, where `(?:pair, )*'url'…` backtracks quadratically on many `url`s.
 */
const PY_OTHER_KEY = String.raw`(?:[A-Za-tv-z_]|u(?:[A-Za-qs-z0-9_-]|r(?:[A-Za-km-z0-9_-]|l[A-Za-z0-9_-])))[A-Za-z0-9_-]*|ur?`;
const PY_PAIR = String.raw`'(?:${PY_OTHER_KEY})': (?:${PY_VALUE})`;
/** The agent entry as original LMs send it (repr() of a flat dict): its `url`, an IP or host name, names this agent. */
const PY_AGENT = new RegExp(String.raw`^\{(?:${PY_PAIR}, )*'url': '${AGENT_IP_SOURCE}'(?:, ${PY_PAIR})*\}$`);
const AGENT_REQUIRED = 'parameter not found: agent';
const AGENT_URL = 'agent.url is required: the IP address or host name of this agent';

const AgentField = z
  .union(
    [
      z.string().regex(PY_AGENT, "agent is not a Python dict literal with a 'url' (as original LMs send it), nor a JSON object"),
      z.looseObject({ url: z.string({ error: AGENT_URL }).regex(new RegExp(`^${AGENT_IP_SOURCE}$`), AGENT_URL) }),
    ],
    { error: (issue) => (issue.input === undefined ? AGENT_REQUIRED : undefined) },
  )
  .meta({ description: 'The agent entry: JSON, or a Python literal as original LMs send it' });
const InstanceRef = z.looseObject({
  id: z.string().regex(new RegExp(`^(?:${INSTANCE_ID_PREFIX})?${UUID_SOURCE}$`), 'service_instance.id must be service-instance/<uuid>'),
});
const DeployBody = z
  .looseObject({
    service: ServiceSchema,
    service_instance: InstanceRef,
    agent: AgentField,
  })
  .meta({ id: 'InternalDeployRequest' });
const OperateBody = z
  .looseObject({
    service: ServiceSchema,
    operation: z
      .string({ error: 'parameter not found: agent / operation' })
      .meta({ description: 'start, stop, restart or terminate; any other is a 501' }),
    agent: AgentField,
    service_instance: InstanceRef.optional().meta({ description: 'Not sent by original LMs; lets this LM find compose projects' }),
  })
  .meta({ id: 'InternalOperationRequest' });
const StatusResponse = z
  .object({
    error: z.literal(false),
    message: z.string(),
    status: z.enum(AGENT_STATUSES).meta({ description: "What this agent's runtime reports about the workload now" }),
  })
  .meta({ id: 'InternalAgentStatusResponse' });
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

/** The agent entry, as an object: the schema let only a JSON object or a flat Python dict literal with a url through. */
function agentOf(raw: string | Json): Json {
  return typeof raw === 'string' ? (parsePythonLiteral(raw) as Json) : raw;
}

/** The instance an operation is for, or null when (an original LM) only the agent's `container_id` names it. */
function instanceUuidOf(instance: Json | undefined): string | null {
  if (instance === undefined) return null;
  const id = typeof instance.id === 'string' ? uuidOf(instance.id) : '';
  if (UUID.test(id)) return id.toLowerCase();
  throw badRequest(`service_instance.id "${String(instance.id)}" is not service-instance/<uuid>`);
}

/** Part of the operation's workflow id when no instance is named: the container id, as far as it is safe there. */
function workflowKeyOf(agent: Json): string {
  return (
    String(agent.container_id ?? 'unknown')
      .replace(/[^A-Za-z0-9-]/g, '')
      .slice(0, 64) || 'unknown'
  );
}

function indexOf(instance: Json | undefined, url: string): number {
  const agents = Array.isArray(instance?.agents) ? instance.agents : [];
  const index = agents.findIndex((a: unknown) => typeof a === 'object' && a !== null && (a as Json).url === url);
  return Math.max(0, index);
}

function portsOf(agent: Json): number[] {
  return Array.isArray(agent.ports) ? agent.ports.filter((p): p is number => Number.isInteger(p)) : [];
}

/** The status each classified runtime failure answers; every internal route documents all of them. */
export const STATUS_OF_FAILURE: Record<string, number> = {
  [FailureType.InvalidSpec]: 400,
  [FailureType.ImageNotFound]: 400,
  [FailureType.WorkloadMissing]: 404,
  // The object named exists but is not the LM's for that instance: refused, untouched.
  [FailureType.NotLmWorkload]: 409,
  [FailureType.NotSupported]: 501,
  [FailureType.RuntimeUnavailable]: 503,
};

/** The runtime's classified failure, as the status other LMs read (4xx: their request; 5xx: this agent). */
function operationFailure(err: unknown): ApiError {
  let cause: unknown = err;
  for (let depth = 0; depth < 5 && cause instanceof Error && !(cause instanceof ApplicationFailure); depth += 1) cause = cause.cause;
  const type = cause instanceof ApplicationFailure ? cause.type : null;
  const message = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
  return new ApiError(STATUS_OF_FAILURE[type ?? ''] ?? 502, message);
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
        404: { description: 'The workload vanished from the runtime while it was being deployed' },
        409: { description: "An object of the workload's name exists and is not an LM workload of that instance: it is left untouched" },
        501: {
          description:
            'This agent does not offer the runtime the service needs (e.g. a swarm service on an agent that is no swarm manager)',
        },
        502: { description: 'The runtime failed the deploy' },
        503: { description: 'The runtime (Docker…) does not answer' },
      },
    },
    async ({ body, req }, res) => {
      const agent = agentOf(body.agent);
      const service = body.service;
      const uuid = instanceUuidOf(body.service_instance);
      if (uuid === null) throw badRequest('parameter not found: service_instance');
      const url = String(agent.url);
      const index = indexOf(body.service_instance, url);
      const deviceIp = typeof body.service_instance.device_ip === 'string' ? body.service_instance.device_ip : config.hostIp;
      const ref: WorkloadRef = {
        instanceUuid: uuid,
        agentIndex: index,
        agentUrl: url,
        service,
        name: workloadName(uuid, index),
        deviceIp,
        container_id: '-',
        ports: [],
        agent_param: '-',
        forPeer: true,
      };
      const deployed = await run(uuid, index, 'deploy', ['deploy'], ref);
      const message =
        service.exec_type === 'docker-swarm'
          ? 'Deploy service in agent (Docker Swarm)'
          : service.exec_type === 'docker-compose-swarm'
            ? 'Deploy docker-compose-swarm service in agent'
            : 'Deploy service in agent';
      res.json({
        error: false,
        message,
        agent: toPythonLiteral({ ...agent, ...deployed, status: 'waiting' }),
        service: toPythonLiteral((req.body as Json).service),
      });
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
        404: { description: 'No workload of that instance (or container id) exists on this agent' },
        409: { description: 'The object named is not an LM workload of that instance made for a peer LM: it is left untouched' },
        501: { description: "Unknown operation, or one this agent's runtime does not offer" },
        502: { description: 'The runtime failed the operation' },
        503: { description: 'The runtime (Docker…) does not answer' },
      },
    },
    async ({ body }, res) => {
      const operation = OPERATIONS[body.operation];
      if (operation === undefined)
        throw notImplemented(`operation not defined / implemented: "${body.operation}"; use start, stop, restart or terminate`);
      const { key, index, ref, agent } = workloadOf(body);
      const result = await run(key, index, body.operation, operation.steps, ref);
      // A start that moved the workload to free ports answers where it now is.
      const moved = { container_id: result.container_id, ports: result.ports, agent_param: result.agent_param };
      res.json({
        error: false,
        message: operation.message,
        agent: toPythonLiteral({ ...agent, ...moved, status: operation.status }),
        status: operation.status,
      });
    },
  );

  routes.add(
    {
      method: 'post',
      paths: ['/api/v2/lm/service-instance-int/status'],
      summary: "Internal (LM to LM): what this agent's runtime reports about a service's workload",
      description: 'Not in the original LM (it answers 404): the LM driving the instance then keeps the agent as it recorded it.',
      tag: 'internal',
      access: 'internal',
      body: OperateBody.omit({ operation: true }),
      responses: {
        200: { description: "The runtime's view of the workload", schema: StatusResponse },
        400: { description: 'A parameter is missing or invalid' },
        404: { description: 'No workload of that instance (or container id) exists on this agent' },
        409: { description: 'The object named is not an LM workload of that instance made for a peer LM' },
        501: { description: "This agent does not offer the workload's runtime" },
        502: { description: 'The runtime failed to answer' },
        503: { description: 'The runtime (Docker…) does not answer' },
      },
    },
    async ({ body }, res) => {
      const { key, index, ref } = workloadOf(body);
      const result = await run(key, index, 'observe', ['observe'], ref);
      res.json({ error: false, message: 'Agent status', status: result.status ?? 'unknown' });
    },
  );

  /**
   * The workload an operation or status request names: the key of its operation's workflow, the agent's index,
   * and its ref. Whatever the body says, the runtime acts only on a workload labelled for that instance (or,
   * named by container_id alone, for this agent) and made for a peer LM: anything else is refused untouched.
   */
  function workloadOf(body: { service: Service; agent: string | Json; service_instance?: Json }): {
    key: string;
    index: number;
    ref: WorkloadRef;
    agent: Json;
  } {
    const agent = agentOf(body.agent);
    const service = body.service;
    const uuid = instanceUuidOf(body.service_instance);
    const url = String(agent.url);
    const index = uuid === null ? 0 : indexOf(body.service_instance, url);
    const ref: WorkloadRef = {
      instanceUuid: uuid ?? '',
      agentIndex: index,
      agentUrl: url,
      service,
      name: uuid === null ? '-' : workloadName(uuid, index),
      deviceIp: config.hostIp,
      container_id: String(agent.container_id ?? '-'),
      ports: portsOf(agent),
      agent_param: String(agent.agent_param ?? '-'),
      forPeer: true,
      ...(uuid === null ? { unidentified: true } : {}),
    };
    return { key: uuid ?? workflowKeyOf(agent), index, ref, agent };
  }
}
