/** Body of `PUT /api/v2/lm/service-instances/<uuid>` and the `wait` query flag. */
import { z } from 'zod';
import { StartJobBodySchema } from './start-job.schema';

/** `start-job` takes the body of `PUT …/<uuid>/der` (checked by the handler): the document says so. */
const START_JOB_RULE = {
  anyOf: [
    { properties: { operation: { not: { enum: ['start-job'] } } } },
    z.toJSONSchema(StartJobBodySchema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }),
  ],
};

export const OperationBodySchema = z
  .looseObject({
    operation: z
      .string({ error: 'parameter not found: operation; send {"operation": "start" | "stop" | "restart"}' })
      .meta({ example: 'stop', description: 'start, stop or restart (start-job: see /der)' }),
  })
  .meta({ id: 'OperationRequest', ...START_JOB_RULE });

export const WaitQuerySchema = z.looseObject({
  wait: z
    .enum(['true', 'false'], { error: 'wait must be true or false' })
    .optional()
    .transform((value) => value === 'true')
    .meta({ description: 'Answer once the instance has settled instead of at once' }),
});
