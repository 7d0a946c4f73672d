/** LM API process: Express on LM_PORT, talking to Temporal through one long-lived connection. */
import { Client, Connection } from '@temporalio/client';
import { ConfigError, loadConfig } from '../common/config';
import { createLogger } from '../common/logger';
import { describeReadModel, openReadModel } from '../common/read-model/open-read-model';
import { ensureSearchAttributes } from '../common/search-attribute-registration';
import { retryUntilConnected } from '../common/wait-for-temporal';
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
  // The API reads there: it waits for the database rather than answering every read with a 503.
  const where = describeReadModel(config.readModel);
  const readModel = await retryUntilConnected(() => openReadModel(config.readModel), where, logger, 'the read model');
  const app = createApp(createApiContext(config, logger, client, readModel));
  const onListening = () => {
    const on = config.apiAddress ?? 'every interface';
    logger.info({ port: config.port, address: on, temporal: address, namespace, mode: config.mode, readModel: where }, 'LM API listening');
  };
  // LM_API_ADDRESS: one address only, so that agents sharing one machine (one HOST_IP each) share LM_PORT too.
  const server =
    config.apiAddress === null ? app.listen(config.port, onListening) : app.listen(config.port, config.apiAddress, onListening);
  server.on('error', (err: NodeJS.ErrnoException) => {
    const at = `${config.apiAddress ?? '*'}:${config.port}`;
    console.error(
      err.code === 'EADDRINUSE'
        ? `the LM API cannot listen on ${at}: it is taken; set LM_PORT (or LM_API_ADDRESS) to a free one`
        : `the LM API cannot listen on ${at} (LM_API_ADDRESS, LM_PORT): ${err.message}`,
    );
    process.exit(1);
  });
  const shutdown = () => {
    logger.info('shutting down');
    server.close(() => {
      void Promise.allSettled([connection.close(), readModel.close()]).finally(() => process.exit(0));
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
