/**
 * `npm run rebuild-read-model [-- --query "<visibility filter>"]`: makes the read model again from Temporal
 * (worker/read-model-rebuild.ts), in the database the configuration names (LM_DATABASE_URL, else the SQLite file
 * under LM_DATA_DIR, created when missing). Run it with the LM worker running, so that instances whose history
 * has no projection can still be queried. Prints what it did as JSON; exits 1 if an instance could not be rebuilt.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { ConfigError, loadConfig } from '../common/config';
import { describeReadModel, openReadModel } from '../common/read-model/open-read-model';
import { rebuildReadModel } from './read-model-rebuild';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { query: { type: 'string' } } });
  const config = loadConfig();
  const connection = await Connection.connect({ address: config.temporal.address });
  const store = await openReadModel(config.readModel);
  try {
    const started = Date.now();
    const report = await rebuildReadModel(new Client({ connection, namespace: config.temporal.namespace }), store, { query: values.query });
    console.log(
      JSON.stringify({ readModel: describeReadModel(config.readModel), seconds: (Date.now() - started) / 1000, ...report }, null, 2),
    );
    if (report.failed.length > 0) process.exitCode = 1;
  } finally {
    await store.close();
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
