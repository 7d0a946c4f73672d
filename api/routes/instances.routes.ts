/**
 * Service-instance endpoints, under both spellings the original used (`service-instance` and
 * `service-instances`): read one or all, operate, terminate. The timeline is in timeline.routes.ts.
 */
import { z } from 'zod';
import type { InstanceOperation } from '../../workflows/model/operations';
import { EXEC_TYPES } from '../../workflows/model/service';
import { INSTANCE_STATUSES, type InstanceStatus } from '../../workflows/model/status';
import { badRequest, notImplemented } from '../api-error';
import type { ApiContext } from '../api-context';
import type { RouteBuilder } from '../route-builder';
import { consistentFlag } from '../schemas/consistent.schema';
import { okEnvelope } from '../schemas/envelope.schema';
import { queryInteger, SPACE } from '../schemas/document-patterns';
import { ServiceInstanceSchema } from '../schemas/instance.schema';
import { OperationBodySchema, WaitQuerySchema } from '../schemas/operation.schema';
import { StartJobBodySchema } from '../schemas/start-job.schema';
import { describeZodError, grpcCode, toApiError } from '../error-mapping';
import { scopedUpdateId } from '../idempotency-keys';
import { BAD_PAGE_TOKEN } from '../page-token';
import { TerminateAll } from '../terminate-all';
import { startJob, StartJobResponse } from './compss.routes';
import { instancePaths, InstanceIdParams, InstanceOrAllParams, uuidParam } from './instance-paths';

const at = instancePaths;
const FILTER_VALUE = /^[A-Za-z0-9_.:/@-]{1,200}$/;
/** One entry of `status`: a status, or nothing, with the spaces `trim()` drops around it. */
const STATUS_ENTRY = `[${SPACE}]*(?:(?:${INSTANCE_STATUSES.join('|')})[${SPACE}]*)?`;
const STATUS_LIST = new RegExp(`^${STATUS_ENTRY}(?:,${STATUS_ENTRY})*$`);

const statusEntries = (raw: string): string[] =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const unknownStatuses = (raw: string): string[] => statusEntries(raw).filter((s) => !(INSTANCE_STATUSES as readonly string[]).includes(s));

const ListQuery = z.looseObject({
  status: z
    .string()
    .regex(STATUS_LIST, {
      error: (issue) => `unknown status ${unknownStatuses(String(issue.input)).join(', ')}: use ${INSTANCE_STATUSES.join(', ')}`,
    })
    .optional()
    .meta({ description: 'Comma-separated statuses; default: every status but `terminated`', example: 'started,degraded' }),
  user: z.string().regex(FILTER_VALUE, 'user has characters that are not allowed').optional(),
  service: z
    .string()
    .regex(FILTER_VALUE, 'service has characters that are not allowed')
    .optional()
    .meta({ description: 'Service id or name' }),
  exec_type: z
    .enum(EXEC_TYPES, { error: `exec_type must be one of ${EXEC_TYPES.join(', ')}` })
    .optional()
    .meta({ description: "The instances' exec type" }),
  page_size: queryInteger('page_size', 1, 1000).default(100),
  page_token: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'page_token must be a next_page_token from a previous page')
    .optional()
    .meta({ description: 'The next_page_token of the previous page, with the same filter' }),
  consistent: consistentFlag,
});

const InstanceResponse = okEnvelope('ServiceInstanceResponse', {
  service_instance_id: z.string(),
  service_instance: ServiceInstanceSchema,
});
const ListResponse = okEnvelope('ServiceInstanceList', {
  service_instances: z.array(ServiceInstanceSchema),
  Msg: z.string(),
  count: z.int().meta({ description: 'Instances matching the filter, over all pages, as counted with the first page' }),
  next_page_token: z.string().nullable(),
});
const OperationResponse = okEnvelope('OperationResponse', { service_instance: ServiceInstanceSchema });
const TerminateAllResponse = okEnvelope('TerminateAllResponse', {
  result: z.string(),
  service_instances: z.array(z.string()).meta({
    description: 'Without wait: every instance being terminated (the snapshot); with wait=true: those that accepted the terminate',
  }),
  not_terminated: z
    .array(z.object({ service_instance_id: z.string(), reason: z.string() }))
    .optional()
    .meta({ description: 'wait=true: the instances of the snapshot that did not accept the terminate, and why' }),
});

/** Forwarded instances run at the leader's LM, which lists them. */
const DEFAULT_LIST_STATUSES = INSTANCE_STATUSES.filter((status) => status !== 'terminated' && status !== 'forwarded');

function statusesParam(raw: string | undefined): InstanceStatus[] {
  if (raw === undefined) return [...DEFAULT_LIST_STATUSES];
  // STATUS_LIST let only known statuses through.
  return statusEntries(raw) as InstanceStatus[];
}

/** Visibility stores answer a page token they did not issue with INVALID_ARGUMENT, or (SQLite) UNKNOWN. */
const GRPC_UNKNOWN = 2;
const GRPC_INVALID_ARGUMENT = 3;

function isRefusedPageToken(err: unknown): boolean {
  const code = grpcCode(err)?.code;
  return code === GRPC_UNKNOWN || code === GRPC_INVALID_ARGUMENT;
}

const OPERATION_MESSAGES: Record<InstanceOperation, string> = {
  start: 'start',
  stop: 'stop',
  restart: 'restart',
  terminate: 'stop-and-terminate',
};

export function instanceRoutes(routes: RouteBuilder, context: ApiContext): void {
  const { gateway, reads, idempotency, config, logger } = context;
  // Instances already terminating are sent the terminate again: an incomplete one then tries again.
  const terminateAll = new TerminateAll(gateway, DEFAULT_LIST_STATUSES, config.limits.terminateAllConcurrency, logger, (err) =>
    toApiError(err, config.temporal.address),
  );
  routes.add(
    {
      method: 'get',
      paths: at('/:id'),
      summary: 'Get one service instance, or all of them (`all`, paginated and filterable)',
      description:
        'Read from the read model, which the instances keep current: an instance just submitted or operated is seen as the API answered it. ' +
        'A listing is newest first; its `count` is made with the first page and carried by `next_page_token`. ' +
        'With `consistent=true` the workflow answers (a listing: Temporal visibility).',
      tag: 'service-instances',
      access: 'client',
      params: InstanceOrAllParams,
      query: ListQuery,
      responses: {
        200: { description: 'The instance (or the page of instances for `all`)', schema: z.union([InstanceResponse, ListResponse]) },
        400: { description: 'Malformed id or filter' },
        404: { description: 'Unknown instance' },
        503: {
          description: 'The read model cannot be read, or (consistent=true, or an instance it does not have) Temporal cannot be reached',
        },
      },
    },
    async ({ params, query }, res) => {
      if (params.id === 'all') {
        const filter = { statuses: statusesParam(query.status), user: query.user, service: query.service, execType: query.exec_type };
        const page = await reads.list(filter, query.page_size, query.page_token ?? null, query.consistent).catch((err: unknown) => {
          throw query.page_token !== undefined && isRefusedPageToken(err) ? badRequest(BAD_PAGE_TOKEN) : err;
        });
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
      const instance = await reads.get(uuid, query.consistent);
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
      params: InstanceIdParams,
      query: WaitQuerySchema,
      body: OperationBodySchema,
      responses: {
        200: { description: 'Accepted (or finished, with wait=true)', schema: z.union([OperationResponse, StartJobResponse]) },
        400: { description: 'Missing operation or malformed id' },
        404: { description: 'Unknown instance' },
        409: { description: 'The current status does not allow the operation' },
        422: { description: 'The Idempotency-Key was already used for another request of this operation' },
        501: { description: 'Unknown operation' },
        503: { description: 'Temporal or the LM worker cannot be reached' },
      },
    },
    async ({ params, query, body, req }, res) => {
      const uuid = uuidParam(params.id);
      if (body.operation === 'start-job') {
        const job = StartJobBodySchema.safeParse(body);
        if (!job.success) throw badRequest(describeZodError(job.error, 'request body'));
        res.json(await startJob(context, uuid, job.data, await idempotency.admit(req, 'start-job')));
        return;
      }
      const operation = body.operation as InstanceOperation;
      if (!(['start', 'stop', 'restart'] as string[]).includes(operation)) {
        throw notImplemented(
          `operation "${body.operation}" is not defined: use start, stop, restart or start-job (terminate: DELETE the instance)`,
        );
      }
      const key = await idempotency.admit(req, operation);
      const { instance, settled } = await gateway.operate(uuid, operation, query.wait, scopedUpdateId(operation, key));
      const word = OPERATION_MESSAGES[operation];
      res.status(query.wait && !settled ? 202 : 200).json({
        error: false,
        message: settled
          ? `Service ${word} operation finished: the instance is ${instance.status}`
          : `Service ${word} operation is being processed ...`,
        service_instance: instance,
      });
    },
  );

  routes.add(
    {
      method: 'delete',
      paths: at('/:id'),
      summary: 'Terminate a service instance (stop and remove every workload), or every instance (`all`)',
      description:
        'Answers within seconds with `terminating`, whatever runs: a running operation (a deploy pulling an image, a start retrying an engine that does not answer) ' +
        'is interrupted, then every workload is removed, found by its deterministic name and labels. ' +
        'A terminate that cannot remove every workload (an agent unreachable) leaves the instance listed, `terminate failed` on its timeline: send the DELETE again. ' +
        '`all`: the instances listed now (every status but terminated and forwarded) are terminated in the background, ' +
        `at most LM_TERMINATE_ALL_CONCURRENCY at once; the answer comes at once, or with wait=true once every terminate was sent, listing those that did not accept it and why. ` +
        'One DELETE …/all at a time: another meanwhile is a 429.',
      tag: 'service-instances',
      access: 'client',
      params: InstanceOrAllParams,
      query: WaitQuerySchema,
      responses: {
        200: { description: 'Accepted (or finished, with wait=true)', schema: z.union([OperationResponse, TerminateAllResponse]) },
        400: { description: 'Malformed id' },
        404: { description: 'Unknown instance' },
        409: { description: 'Already terminated or being terminated' },
        422: { description: 'The Idempotency-Key was already used for another terminate' },
        429: { description: '`all`: a DELETE …/all is still sending its terminates' },
        503: { description: 'Temporal or the LM worker cannot be reached' },
      },
    },
    async ({ params, query, req }, res) => {
      if (params.id === 'all') {
        const { snapshot, done } = await terminateAll.start();
        if (!query.wait) {
          done.catch((err: unknown) =>
            logger.error({ err: toApiError(err, config.temporal.address)?.message ?? String(err) }, 'DELETE …/all failed'),
          );
          res.json({
            error: false,
            message: `Terminate all services: ${snapshot.length} instances are being terminated`,
            result: 'True',
            service_instances: snapshot,
          });
          return;
        }
        const { terminating, notTerminated } = await done;
        res.json({
          error: false,
          message:
            `Terminate all services: ${terminating.length} of ${snapshot.length} instances are being terminated` +
            (notTerminated.length > 0 ? `; ${notTerminated.length} did not accept it (not_terminated)` : ''),
          result: 'True',
          service_instances: terminating,
          not_terminated: notTerminated,
        });
        return;
      }
      const uuid = uuidParam(params.id);
      const key = await idempotency.admit(req, 'terminate');
      const { instance, settled } = await gateway.operate(uuid, 'terminate', query.wait, scopedUpdateId('terminate', key));
      res.status(query.wait && !settled ? 202 : 200).json({
        error: false,
        message: settled
          ? `Service terminated: the instance is ${instance.status}`
          : 'Service stop-and-terminate operation is being processed ...',
        service_instance: instance,
      });
    },
  );
}
