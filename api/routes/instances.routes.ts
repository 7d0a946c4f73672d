/**
 * Service-instance endpoints, under both spellings the original used (`service-instance` and
 * `service-instances`): read one or all, operate, terminate. The timeline is in timeline.routes.ts.
 */
import { z } from 'zod';
import { uuidOf } from '../../workflows/model/instance';
import type { InstanceOperation } from '../../workflows/model/operations';
import { INSTANCE_STATUSES, type InstanceStatus } from '../../workflows/model/status';
import { badRequest, notImplemented } from '../api-error';
import type { ApiContext } from '../api-context';
import type { RouteBuilder } from '../route-builder';
import { okEnvelope } from '../schemas/envelope.schema';
import { ServiceInstanceSchema } from '../schemas/instance.schema';
import { OperationBodySchema, WaitQuerySchema } from '../schemas/operation.schema';
import { StartJobBodySchema } from '../schemas/start-job.schema';
import { describeZodError } from '../error-mapping';
import { startJob, StartJobResponse } from './compss.routes';
import { instancePaths, InstanceIdParams, uuidParam } from './instance-paths';

const at = instancePaths;
const FILTER_VALUE = /^[A-Za-z0-9_.:/@-]{1,200}$/;

const IdParams = InstanceIdParams;

const ListQuery = z.looseObject({
  status: z
    .string()
    .optional()
    .meta({ description: 'Comma-separated statuses; default: every status but `terminated`', example: 'started,degraded' }),
  user: z.string().regex(FILTER_VALUE, 'user has characters that are not allowed').optional(),
  service: z.string().regex(FILTER_VALUE, 'service has characters that are not allowed').optional().meta({ description: 'Service id or name' }),
  page_size: z.coerce.number().int().min(1).max(1000).default(100),
  page_token: z.string().regex(/^[A-Za-z0-9_-]+$/, 'page_token must be a next_page_token from a previous page').optional(),
});

const InstanceResponse = okEnvelope('ServiceInstanceResponse', {
  service_instance_id: z.string(),
  service_instance: ServiceInstanceSchema,
});
const ListResponse = okEnvelope('ServiceInstanceList', {
  service_instances: z.array(ServiceInstanceSchema),
  Msg: z.string(),
  count: z.int().meta({ description: 'Instances matching the filter, over all pages' }),
  next_page_token: z.string().nullable(),
});
const OperationResponse = okEnvelope('OperationResponse', { service_instance: ServiceInstanceSchema });
const TerminateAllResponse = okEnvelope('TerminateAllResponse', { result: z.string(), service_instances: z.array(z.string()) });

/** Forwarded instances run at the leader's LM, which lists them. */
const DEFAULT_LIST_STATUSES = INSTANCE_STATUSES.filter((status) => status !== 'terminated' && status !== 'forwarded');

function statusesParam(raw: string | undefined): InstanceStatus[] {
  if (raw === undefined) return [...DEFAULT_LIST_STATUSES];
  const statuses = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = statuses.filter((s) => !(INSTANCE_STATUSES as readonly string[]).includes(s));
  if (unknown.length > 0) throw badRequest(`unknown status ${unknown.join(', ')}: use ${INSTANCE_STATUSES.join(', ')}`);
  return statuses as InstanceStatus[];
}

const OPERATION_MESSAGES: Record<InstanceOperation, string> = {
  start: 'start',
  stop: 'stop',
  restart: 'restart',
  terminate: 'stop-and-terminate',
};

export function instanceRoutes(routes: RouteBuilder, context: ApiContext): void {
  const { gateway } = context;
  routes.add(
    {
      method: 'get',
      paths: at('/:id'),
      summary: 'Get one service instance, or all of them (`all`, paginated and filterable)',
      tag: 'service-instances',
      access: 'client',
      params: IdParams,
      query: ListQuery,
      responses: {
        200: { description: 'The instance (or the page of instances for `all`)', schema: z.union([InstanceResponse, ListResponse]) },
        400: { description: 'Malformed id or filter' },
        404: { description: 'Unknown instance' },
        503: { description: 'Temporal cannot be reached' },
      },
    },
    async ({ params, query }, res) => {
      if (params.id === 'all') {
        const filter = { statuses: statusesParam(query.status), user: query.user, service: query.service };
        const page = await gateway.list(filter, query.page_size, query.page_token ?? null);
        res.json({
          error: false,
          message: 'Service instances content',
          service_instances: page.instances,
          Msg: '',
          count: page.count,
          next_page_token: page.nextPageToken,
        });
        return;
      }
      const uuid = uuidParam(params.id);
      const instance = await gateway.get(uuid);
      res.json({ error: false, message: 'Service instance content', service_instance_id: uuid, service_instance: instance });
    },
  );

  routes.add(
    {
      method: 'put',
      paths: at('/:id'),
      summary: 'Start, stop or restart a service instance (or start a COMPSs job: operation start-job)',
      description:
        'Answers once the operation is accepted (status `starting`/`stopping`), or when it has finished with `?wait=true`. ' +
        'With `"operation": "start-job"` the body is that of `PUT …/<uuid>/der`.',
      tag: 'service-instances',
      access: 'client',
      params: IdParams,
      query: WaitQuerySchema,
      body: OperationBodySchema,
      responses: {
        200: { description: 'Accepted (or finished, with wait=true)', schema: z.union([OperationResponse, StartJobResponse]) },
        400: { description: 'Missing operation or malformed id' },
        404: { description: 'Unknown instance' },
        409: { description: 'The current status does not allow the operation' },
        501: { description: 'Unknown operation' },
        503: { description: 'Temporal or the LM worker cannot be reached' },
      },
    },
    async ({ params, query, body, req }, res) => {
      const uuid = uuidParam(params.id);
      if (body.operation === 'start-job') {
        const job = StartJobBodySchema.safeParse(body);
        if (!job.success) throw badRequest(describeZodError(job.error, 'request body'));
        res.json(await startJob(context, uuid, job.data, req.header('Idempotency-Key')));
        return;
      }
      const operation = body.operation as InstanceOperation;
      if (!(['start', 'stop', 'restart'] as string[]).includes(operation)) {
        throw notImplemented(
          `operation "${body.operation}" is not defined: use start, stop, restart or start-job (terminate: DELETE the instance)`,
        );
      }
      const { instance, settled } = await gateway.operate(uuid, operation, query.wait, req.header('Idempotency-Key'));
      const word = OPERATION_MESSAGES[operation];
      res.status(query.wait && !settled ? 202 : 200).json({
        error: false,
        message: settled ? `Service ${word} operation finished: the instance is ${instance.status}` : `Service ${word} operation is being processed ...`,
        service_instance: instance,
      });
    },
  );

  routes.add(
    {
      method: 'delete',
      paths: at('/:id'),
      summary: 'Terminate a service instance (stop and remove every workload), or every instance (`all`)',
      description: 'A terminate that cannot remove every workload (an agent unreachable) leaves the instance listed, `terminate failed` on its timeline: send the DELETE again.',
      tag: 'service-instances',
      access: 'client',
      params: IdParams,
      query: WaitQuerySchema,
      responses: {
        200: { description: 'Accepted (or finished, with wait=true)', schema: z.union([OperationResponse, TerminateAllResponse]) },
        400: { description: 'Malformed id' },
        404: { description: 'Unknown instance' },
        409: { description: 'Already terminated or being terminated' },
        503: { description: 'Temporal or the LM worker cannot be reached' },
      },
    },
    async ({ params, query, req }, res) => {
      if (params.id === 'all') {
        const ids = await terminateAll(gateway);
        res.json({ error: false, message: 'Terminate all services', result: 'True', service_instances: ids });
        return;
      }
      const uuid = uuidParam(params.id);
      const { instance, settled } = await gateway.operate(uuid, 'terminate', query.wait, req.header('Idempotency-Key'));
      res.status(query.wait && !settled ? 202 : 200).json({
        error: false,
        message: settled ? `Service terminated: the instance is ${instance.status}` : 'Service stop-and-terminate operation is being processed ...',
        service_instance: instance,
      });
    },
  );
}

/** Unlike the original (which deleted records and left containers running), this terminates each instance. */
async function terminateAll(gateway: ApiContext['gateway']): Promise<string[]> {
  const ids: string[] = [];
  let token: string | null = null;
  const statuses = DEFAULT_LIST_STATUSES.filter((status) => status !== 'terminating');
  do {
    const page = await gateway.list({ statuses }, 1000, token);
    for (const instance of page.instances) {
      try {
        await gateway.operate(uuidOf(instance.id), 'terminate', false);
        ids.push(instance.id);
      } catch {
        // Refused (already terminating) or gone: nothing to do for this one.
      }
    }
    token = page.nextPageToken;
  } while (token !== null);
  return ids;
}
