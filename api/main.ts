/** LM API process: Express on LM_PORT, talking to Temporal through one long-lived connection. */
import { Client, Connection } from '@temporalio/client';
import { ConfigError, loadConfig } from '../common/config';
import { createLogger } from '../common/logger';
import { ensureSearchAttributes } from '../common/search-attribute-registration';
import { createApiContext } from './api-context';
import { createApp } from './app';

const SHUTDOWN_GRACE_MS = 2_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('lm-api', config.logLevel);
  const { address, namespace } = config.temporal;
  // Lazy: the API starts (and answers 503s that say why) even while Temporal is down.
  const connection = Connection.lazy({ address });
  const client = new Client({ connection, namespace });
  ensureSearchAttributes(connection, namespace).catch((err: unknown) =>
    logger.warn({ err: String(err) }, 'could not register search attributes yet; the worker will'),
  );
  const app = createApp(createApiContext(config, logger, client));
  const server = app.listen(config.port, () => {
    logger.info({ port: config.port, temporal: address, namespace, mode: config.mode }, 'LM API listening');
  });
  const shutdown = () => {
    logger.info('shutting down');
    server.close(() => {
      connection.close().finally(() => process.exit(0));
    });
    // Timeline streams and long polls would hold the close for minutes: they get a moment to finish, then are
    // cut (a stream's client resumes elsewhere with Last-Event-ID).
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
