/** `GET /metrics`: the API's Prometheus metrics (api/request-metrics.ts), for a scraper with the client token. */
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { RouteBuilder } from '../route-builder';

export function metricsRoutes(routes: RouteBuilder, registry: Registry): void {
  routes.add(
    {
      method: 'get',
      paths: ['/metrics'],
      summary: 'Prometheus metrics of the API process',
      description:
        'Requests by route template, method and status (`lm_api_request_duration_seconds`), instances by status ' +
        "(`lm_instances`, counted in Temporal visibility, one count serving the scrapes of LM_INSTANCE_COUNT_TTL_S) and the process's CPU, memory and event loop. " +
        'The worker serves its own (instances settled, drift, Temporal SDK) at LM_METRICS_ADDRESS.',
      tag: 'status',
      access: 'client',
      responses: { 200: { description: 'Prometheus text exposition format', schema: z.string(), contentType: registry.contentType } },
    },
    async (_input, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    },
  );
}
