/**
 * The API's Prometheus metrics, served at `GET /metrics` beside the worker's (LM_METRICS_ADDRESS): requests
 * by route template (not by URL, so instance ids do not multiply the series), method and status; the instances
 * by status, counted in Temporal visibility; and the process's CPU, memory and event loop.
 */
import type { Request, RequestHandler } from 'express';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../common/logger';
import { sharedResults } from '../common/shared-results';
import type { InstanceStatus } from '../workflows/model/status';

export type StatusCounts = Array<{ status: InstanceStatus; count: number }>;

export interface MetricSources {
  countByStatus(): Promise<StatusCounts>;
  logger: Logger;
  /**
   * How long one count of the instances serves later scrapes (LM_INSTANCE_COUNT_TTL_S). A count takes one
   * visibility query per status: scrapers that arrive together or soon after each other (several Prometheus
   * replicas, a dashboard refreshing) share one instead of multiplying the load.
   */
  instanceCountTtlMs: number;
}

export interface RequestMetrics {
  registry: Registry;
  /** Times every request until its answer is sent. */
  middleware: RequestHandler;
}

/** The template the request matched (`/api/v2/lm/service-instances/:uuid`), or `unmatched` for a 404 of no route. */
function routeOf(req: Request): string {
  const route: unknown = req.route;
  if (typeof route === 'object' && route !== null && 'path' in route && typeof route.path === 'string') return req.baseUrl + route.path;
  return 'unmatched';
}

export function requestMetrics(sources: MetricSources): RequestMetrics {
  // One registry per app: tests build several apps in one process.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'lm_api_request_duration_seconds',
    help: 'API requests by route template, method and status code, until the answer was sent',
    labelNames: ['method', 'route', 'status'] as const,
    // From a cached read (ms) to a submit that waits for the instance to settle (?wait=true, minutes).
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [registry],
  });
  const counts = sharedResults(
    sources.instanceCountTtlMs,
    () => sources.countByStatus(),
    () => 'all',
  );
  new Gauge({
    name: 'lm_instances',
    help: 'Service instances by status, as Temporal visibility counts them (terminated ones until the retention ends)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      // Temporal away: the scrape still answers, without this gauge's samples.
      this.reset();
      try {
        for (const { status, count } of await counts()) this.set({ status }, count);
      } catch (err) {
        sources.logger.warn({ err }, 'could not count the instances by status for /metrics');
      }
    },
  });
  const middleware: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => end({ method: req.method, route: routeOf(req), status: String(res.statusCode) }));
    next();
  };
  return { registry, middleware };
}
