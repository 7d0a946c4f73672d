/** The instance URLs, under both spellings the original used, and the id rules of their path. */
import { z } from 'zod';
import { badRequest } from '../api-error';
import { UUID_SOURCE } from '../schemas/document-patterns';

const BASES = ['/api/v2/lm/service-instances', '/api/v2/lm/service-instance'];
const UUID = new RegExp(`^${UUID_SOURCE}$`);
const NOT_AN_ID = 'is not a service-instance id: use the <uuid> of service-instance/<uuid>';

export function instancePaths(suffix: string): string[] {
  return BASES.map((base) => `${base}${suffix}`);
}

const EXAMPLE = '2f6d0a1e-5c8b-4d53-9b8e-1f1d1c0e4a77';

/** `{id}` of an operation on one instance. */
export const InstanceIdParams = z.object({
  id: z.string().regex(UUID, `id ${NOT_AN_ID}`).meta({ description: 'The <uuid> of `service-instance/<uuid>`', example: EXAMPLE }),
});

/** `{id}` of the operations that also take `all` (read or terminate every instance). */
export const InstanceOrAllParams = z.object({
  id: z
    .string()
    .regex(new RegExp(`^(?:${UUID_SOURCE}|all)$`), `id ${NOT_AN_ID} (or "all")`)
    .meta({ description: 'The <uuid> of `service-instance/<uuid>`, or `all`', example: EXAMPLE }),
});

export function uuidParam(id: string): string {
  if (!UUID.test(id)) throw badRequest(`"${id}" ${NOT_AN_ID}`);
  return id.toLowerCase();
}
