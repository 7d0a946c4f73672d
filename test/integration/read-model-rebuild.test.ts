/**
 * The read model survives a restart of everything (LM, Temporal, and PostgreSQL), the lifecycle goes on after it,
 * and a lost database is made again from Temporal by the documented command (`npm run rebuild-read-model`, the
 * built CLI), exactly: the same versions, documents and entries. The rebuild runs with no LM worker at all, so
 * it owes nothing to queries: the histories' replay alone makes the projections again. On SQLite and PostgreSQL.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openReadModel } from '../../common/read-model/open-read-model';
import type { ReadModelStore } from '../../common/read-model/read-model-store';
import { operate, submit } from '../support/api-calls';
import { removeContainersOf } from '../support/docker-state';
import { startDevServer, type DevServer } from '../support/dev-server';
import { POSTGRES_SCRIPT } from '../support/global-teardown';
import { startLm, type LmHarness } from '../support/lm-harness';
import { ownReadModel, STORE_KINDS, type OwnReadModel } from '../support/read-model';
import { PROJECT_ROOT } from '../support/temporal-binary';

const run = promisify(execFile);
const REBUILD = path.join(PROJECT_ROOT, 'dist', 'worker', 'rebuild-read-model.js');

/** Everything the read model holds of these instances. */
async function contents(store: ReadModelStore, uuids: string[]): Promise<unknown> {
  return Promise.all(
    uuids.map(async (uuid) => ({ uuid, stored: await store.instance(uuid), timeline: await store.timeline(uuid, 0, 1000) })),
  );
}

async function restartPostgres(): Promise<void> {
  const dir = process.env.LM_TEST_POSTGRES_DIR;
  if (!dir)
    throw new Error('LM_TEST_POSTGRES_DIR is not set: run through jest (its global setup) or scripts/test.sh, which start the cluster');
  await run(POSTGRES_SCRIPT, ['stop', dir]);
  await run(POSTGRES_SCRIPT, ['start', dir], { env: { ...process.env, LM_PG_FSYNC: 'off' } });
}

describe.each(STORE_KINDS)('the %s read model', (kind) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-read-model-restart-'));
  let own: OwnReadModel;
  let server: DevServer;
  let lm: LmHarness | null = null;
  const made: string[] = [];

  beforeAll(async () => {
    own = await ownReadModel(kind);
    server = await startDevServer({ dbFile: path.join(dir, 'temporal.db') });
  });

  afterAll(async () => {
    await removeContainersOf(made);
    await lm?.stop();
    await server?.stop();
    await own?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('survives a restart of everything, and the rebuild from Temporal makes it again exactly', async () => {
    lm = await startLm({ TEMPORAL_ADDRESS: server.address, ...own.env });
    const running = await submit(lm.api, { name: `kept-${kind}` });
    const stopped = await submit(lm.api, { name: `kept-${kind}` });
    const terminated = await submit(lm.api, { name: `kept-${kind}` });
    const uuids = [running.uuid, stopped.uuid, terminated.uuid];
    made.push(...uuids);
    expect((await operate(lm.api, stopped.uuid, 'stop')).data.service_instance.status).toBe('stopped');
    expect((await lm.api.delete(`/api/v2/lm/service-instances/${terminated.uuid}?wait=true`)).data.service_instance.status).toBe(
      'terminated',
    );
    const before = await contents(lm.readModel, uuids);

    // Everything stops: the LM, Temporal, the database; then all of it starts again.
    await lm.stop();
    lm = null;
    await server.stop();
    if (kind === 'postgres') await restartPostgres();
    server = await startDevServer({ port: server.port, dbFile: server.dbFile ?? undefined });
    lm = await startLm({ TEMPORAL_ADDRESS: server.address, ...own.env });
    expect(await contents(lm.readModel, uuids)).toEqual(before);
    const read = await lm.api.get(`/api/v2/lm/service-instances/${stopped.uuid}`);
    expect(read.data.service_instance.status).toBe('stopped');

    // The lifecycle goes on, and the read model with it.
    expect((await operate(lm.api, stopped.uuid, 'start')).data.service_instance.status).toBe('started');
    expect((await lm.api.get(`/api/v2/lm/service-instances/${stopped.uuid}`)).data.service_instance.status).toBe('started');
    const after = await contents(lm.readModel, uuids);
    expect(after).not.toEqual(before);

    // The database is lost, and no LM worker runs: the command makes it again from Temporal alone.
    await lm.stop();
    lm = null;
    await own.drop();
    own = await ownReadModel(kind);
    const { stdout } = await run(process.execPath, [REBUILD], {
      env: { ...process.env, TEMPORAL_ADDRESS: server.address, LM_LOG_LEVEL: 'warn', ...own.env },
    });
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as Record<string, unknown>;
    expect(report).toMatchObject({ instances: 3, replayed: 3, queried: 0, fromMemo: 0, failed: [] });

    const rebuilt = await openReadModel(own.location);
    try {
      expect(await contents(rebuilt, uuids)).toEqual(after);
      expect((await rebuilt.uuids()).map((row) => row.uuid).sort()).toEqual([...uuids].sort());
    } finally {
      await rebuilt.close();
    }
  }, 240_000);
});
