/** Body of `PUT /api/v2/lm/service-instances/<uuid>` and the `wait` query flag. */
import { z } from 'zod';

export const OperationBodySchema = z
  .looseObject({
    operation: z
      .string({ error: 'parameter not found: operation; send {"operation": "start" | "stop" | "restart"}' })
      .meta({ example: 'stop', description: 'start, stop or restart (start-job: see /der)' }),
  })
  .meta({ id: 'OperationRequest' });

export const WaitQuerySchema = z.looseObject({
  wait: z
    .enum(['true', 'false'], { error: 'wait must be true or false' })
    .optional()
    .transform((value) => value === 'true')
    .meta({ description: 'Answer once the instance has settled instead of at once' }),
});
