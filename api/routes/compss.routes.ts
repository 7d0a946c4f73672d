/** COMPSs jobs: `PUT …/<uuid>/der` (the code's path) and `…/<uuid>/compss` (the README's path). */
import { z } from 'zod';
import { notImplemented } from '../api-error';
import type { ApiContext } from '../api-context';
import { scopedUpdateId } from '../idempotency-keys';
import type { RouteBuilder } from '../route-builder';
import { okEnvelope } from '../schemas/envelope.schema';
import { ServiceInstanceSchema } from '../schemas/instance.schema';
import { StartJobBodySchema, type StartJobBody } from '../schemas/start-job.schema';
import { instancePaths, InstanceIdParams, uuidParam } from './instance-paths';

export const StartJobResponse = okEnvelope('StartJobResponse', {
  service_id: z.string().meta({ description: 'The instance <uuid> (the original named it service_id)' }),
  res: z.literal(true),
  compss_app_id: z.string().meta({ description: 'The COMPSs application id, as text (it exceeds 2^53)', example: '5217640153219234016' }),
  service_instance: ServiceInstanceSchema,
});

/** Shared with `PUT …/<uuid>` and operation start-job. */
export async function startJob({ gateway }: ApiContext, uuid: string, body: StartJobBody, idempotencyKey: string | null) {
  if (body.operation !== 'start-job') {
    throw notImplemented(`operation "${body.operation}" is not defined here: use "start-job"`);
  }
  const { operation: _operation, ...job } = body;
  const result = await gateway.startJob(
    uuid,
    { ceiClass: job.ceiClass, className: job.className, hasResult: job.hasResult, methodName: job.methodName, parameters: job.parameters },
    scopedUpdateId('start-job', idempotencyKey),
  );
  return {
    error: false,
    message: 'Start job',
    service_id: uuid,
    res: true,
    compss_app_id: result.compss_app_id,
    service_instance: result.instance,
  };
}

export function compssRoutes(routes: RouteBuilder, context: ApiContext): void {
  routes.add(
    {
      method: 'put',
      paths: [...instancePaths('/:id/der'), ...instancePaths('/:id/compss')],
      summary: 'Start a COMPSs job on a COMPSs instance (on its master agent, with every started agent as a resource)',
      tag: 'compss',
      access: 'client',
      params: InstanceIdParams,
      body: StartJobBodySchema,
      responses: {
        200: { description: 'The job started; its application id is stored on the master agent', schema: StartJobResponse },
        400: { description: 'A parameter is missing or invalid (parameters must be balanced XML)' },
        404: { description: 'Unknown instance' },
        409: { description: 'Not a COMPSs instance, or no agent is started' },
        422: { description: 'The Idempotency-Key was already used for another start-job' },
        501: { description: 'operation is not "start-job"' },
        502: { description: 'The COMPSs agent refused or failed the job' },
      },
    },
    async ({ params, body, req }, res) => {
      const uuid = uuidParam(params.id);
      res.json(await startJob(context, uuid, body, await context.idempotency.admit(req, 'start-job')));
    },
  );
}
