/** The `consistent` query flag of reads: the read model by default, the workflow itself when asked. */
import { z } from 'zod';

export const consistentFlag = z
  .enum(['true', 'false'], { error: 'consistent must be true or false' })
  .optional()
  .transform((value) => value === 'true')
  .meta({
    description:
      'true: ask Temporal (the workflow, or visibility for a listing) instead of the read model. Slower, and it competes with the lifecycle for the worker; ' +
      'without it a read already sees every write the API has answered',
  });
