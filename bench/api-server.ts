/**
 * The LM API as its own process, for bench/api-latency: the app of api/main.ts (same routes, same middleware,
 * same read model and Temporal client), plus one route answering JSON held in memory, the bench's baseline.
 * Usage: node .build/bench/api-server.js <baseline.json> (configuration from the environment, as the API's).
 */
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { z } from 'zod';
import { createApiContext } from '../api/api-context';
import { createApp } from '../api/app';
import { loadConfig } from '../common/config';
import { createLogger } from '../common/logger';
import { openReadModel } from '../common/read-model/open-read-model';

export const BASELINE_PATH = '/bench/baseline/:name';

async function main(): Promise<void> {
  const baseline = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as Record<string, unknown>;
  const config = loadConfig();
  const logger = createLogger('lm-api', config.logLevel);
  const connection = Connection.lazy({ address: config.temporal.address });
  const readModel = await openReadModel(config.readModel);
  const app = createApp(
    createApiContext(config, logger, new Client({ connection, namespace: config.temporal.namespace }), readModel),
    (routes) =>
      routes.add(
        {
          method: 'get',
          paths: [BASELINE_PATH],
          summary: 'bench baseline',
          tag: 'bench',
          access: 'client',
          params: z.object({ name: z.string() }),
          responses: { 200: { description: 'a JSON answer held in memory' } },
        },
        async ({ params }, res) => {
          res.json(baseline[params.name]);
        },
      ),
  );
  app.listen(config.port, '127.0.0.1', () => console.log(`listening ${config.port}`));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
