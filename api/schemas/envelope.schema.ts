/** The original's envelopes: `{"error": false, "message": …, <key>: <value>}` and `{"error": true, "message": …}`. */
import { z } from 'zod';

export const ErrorSchema = z
  .object({
    error: z.literal(true),
    message: z.string().meta({ description: 'What is wrong and how to fix it' }),
  })
  .meta({ id: 'Error' });

export function okEnvelope<T extends z.ZodRawShape>(id: string, shape: T) {
  return z.object({ error: z.literal(false), message: z.string(), ...shape }).meta({ id });
}
