/** The instance URLs, under both spellings the original used, and the id rules of their path. */
import { z } from 'zod';
import { badRequest } from '../api-error';

const BASES = ['/api/v2/lm/service-instances', '/api/v2/lm/service-instance'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function instancePaths(suffix: string): string[] {
  return BASES.map((base) => `${base}${suffix}`);
}

export const InstanceIdParams = z.object({
  id: z.string().meta({
    description: 'The <uuid> of `service-instance/<uuid>` (`all` where the operation allows it)',
    example: '2f6d0a1e-5c8b-4d53-9b8e-1f1d1c0e4a77',
  }),
});

export function uuidParam(id: string): string {
  if (!UUID.test(id)) {
    throw badRequest(`"${id}" is not a service-instance id: use the <uuid> of service-instance/<uuid> (or "all" where allowed)`);
  }
  return id.toLowerCase();
}
