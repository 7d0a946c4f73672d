/** `GET /api/v2`: liveness, doc links, and whether the LM's own dependencies answer. */
import { z } from 'zod';
import type { ApiContext } from '../api-context';
import type { RouteBuilder } from '../route-builder';

const StatusResponse = z
  .object({
    app: z.string(),
    status: z.literal('Running'),
    mode: z.enum(['STANDALONE', 'MF2C']),
    api_doc_json: z.string(),
    api_doc_html: z.string(),
    dependencies: z.object({
      temporal: z.string().meta({ description: '"ok", or why Temporal does not answer' }),
      docker: z.string().meta({ description: '"ok", or why the local Docker engine does not answer' }),
    }),
  })
  .meta({ id: 'ApiStatus' });

export function statusRoutes(routes: RouteBuilder, { config, gateway, dockerProbe }: ApiContext): void {
  routes.add(
    {
      method: 'get',
      paths: ['/api/v2', '/api/v2/'],
      summary: 'REST API status',
      tag: 'status',
      access: 'client',
      responses: { 200: { description: 'The API is running', schema: StatusResponse } },
    },
    async (_input, res) => {
      const base = `http://${config.hostIp}:${config.port}`;
      const [temporal, docker] = await Promise.all([gateway.problem(), dockerProbe.problem()]);
      res.json({
        app: 'Lifecycle Management REST API',
        status: 'Running',
        mode: config.mode === 'standalone' ? 'STANDALONE' : 'MF2C',
        api_doc_json: `${base}/api/v2/lm`,
        api_doc_html: `${base}/api/v2/lm.html`,
        dependencies: { temporal: temporal ?? 'ok', docker: docker ?? 'ok' },
      });
    },
  );
}
