/** The Express application of API v2: body parsing, routes, documentation, error mapping. */
import express from 'express';
import pinoHttp from 'pino-http';
import type { ApiContext } from './api-context';
import { authGuards } from './auth';
import { errorHandler } from './error-mapping';
import { instanceUiLinks } from './instance-ui-links';
import { mountApiDocs } from './openapi-document';
import { createPeerClients } from './peer-clients';
import { requestMetrics } from './request-metrics';
import { RouteBuilder } from './route-builder';
import { agentRoutes } from './routes/agent.routes';
import { agentsRoutes } from './routes/agents.routes';
import { compssRoutes } from './routes/compss.routes';
import { internalRoutes } from './routes/internal.routes';
import { notificationRoutes } from './routes/notification.routes';
import { reportRoutes } from './routes/report.routes';
import { instanceRoutes } from './routes/instances.routes';
import { metricsRoutes } from './routes/metrics.routes';
import { serviceRoutes } from './routes/service.routes';
import { timelineRoutes } from './routes/timeline.routes';
import { logsRoutes } from './routes/logs.routes';
import { statusRoutes } from './routes/status.routes';

/** `extraRoutes`: more routes behind the same middleware (the API-latency bench's in-memory baseline). */
export function createApp(given: ApiContext, extraRoutes?: (routes: RouteBuilder) => void): express.Express {
  const context = { ...given, peers: given.peers ?? createPeerClients(given.config) };
  const { config, logger } = context;
  const app = express();
  app.disable('x-powered-by');
  app.use(pinoHttp({ logger, autoLogging: { ignore: (req) => req.url === '/api/v2' || req.url === '/metrics' } }));
  const metrics = requestMetrics({
    countByStatus: () => context.reads.countByStatus(),
    logger,
    instanceCountTtlMs: config.instanceCountTtlMs,
  });
  app.use(metrics.middleware);
  app.use(instanceUiLinks(config.temporal));
  // Any body is read as JSON, whatever its Content-Type: `curl -d '{…}'` works, and garbage is a clear 400.
  app.use(express.json({ limit: '1mb', type: () => true, strict: false }));

  const router = express.Router();
  const routes = new RouteBuilder(router, authGuards(config.auth));
  statusRoutes(routes, context);
  serviceRoutes(routes, context);
  instanceRoutes(routes, context);
  timelineRoutes(routes, context);
  logsRoutes(routes, context);
  compssRoutes(routes, context);
  reportRoutes(routes, context);
  notificationRoutes(routes, context);
  agentRoutes(routes, context);
  agentsRoutes(routes, context);
  internalRoutes(routes, context);
  metricsRoutes(routes, metrics.registry);
  extraRoutes?.(routes);
  mountApiDocs(routes, router);
  routes.finish();
  app.use(router);

  app.use((req, res) => {
    res.status(404).json({ error: true, message: `no endpoint ${req.method} ${req.path}; the API is described at /api/v2/lm.html` });
  });
  app.use(errorHandler(logger, config.temporal.address));
  return app;
}
