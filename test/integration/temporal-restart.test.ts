/**
 * Restart the Temporal server under a running LM: reads go on from the read model meanwhile, the instances it
 * knew are still listed afterwards, and can be stopped and terminated (the dev server persists to its SQLite file, as scripts/start.sh runs it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServer } from '../support/dev-server';
import { startLm, type LmHarness } from '../support/lm-harness';
import { containersOf, removeContainersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { operate, submit, untilTerminated } from '../support/api-calls';
import type { ServiceInstance } from '../../workflows/model/instance';

let server: DevServer;
let lm: LmHarness;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-temporal-restart-'));
const made: string[] = [];

beforeAll(async () => {
  server = await startDevServer({ dbFile: path.join(dir, 'temporal.db') });
  lm = await startLm({ TEMPORAL_ADDRESS: server.address });
});

afterAll(async () => {
  await removeContainersOf(made);
  await lm?.stop();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('instances survive a Temporal restart and can still be stopped and terminated', async () => {
  const first = await submit(lm.api, { name: 'survivor-1' });
  const second = await submit(lm.api, { name: 'survivor-2' });
  made.push(first.uuid, second.uuid);

  await server.stop();
  // While Temporal is down the read model still answers; a read that asks Temporal says it is down.
  const read = await lm.api.get(`/api/v2/lm/service-instances/${first.uuid}`);
  expect(read.status).toBe(200);
  expect(read.data.service_instance).toEqual(first.instance);
  const down = await lm.api.get(`/api/v2/lm/service-instances/${first.uuid}?consistent=true`);
  expect(down.status).toBe(503);
  expect(down.data.message).toMatch(/Temporal at .* is not reachable/);

  server = await startDevServer({ port: server.port, dbFile: server.dbFile ?? undefined });

  const listed = await eventually(
    'both instances listed after the restart',
    async () => {
      const response = await lm.api.get('/api/v2/lm/service-instances/all');
      const ids = (response.data.service_instances as ServiceInstance[] | undefined)?.map((i) => i.id) ?? [];
      return ids.includes(first.instance.id) && ids.includes(second.instance.id) ? ids : undefined;
    },
    60_000,
    500,
  );
  expect(listed).toEqual(expect.arrayContaining([first.instance.id, second.instance.id]));

  const stopped = await eventually(
    'stop accepted after the restart',
    async () => {
      const response = await operate(lm.api, first.uuid, 'stop');
      return response.status === 200 ? response : undefined;
    },
    90_000,
    1_000,
  );
  expect(stopped.data.service_instance.status).toBe('stopped');
  expect((await containersOf(first.uuid))[0].State).toBe('exited');

  // Under load the agent may be taken for lost around the restart (its presence check's heartbeats could not reach
  // Temporal for LM_AGENT_LOST_S): a DELETE then answers before its agent is back, and the agent's return finishes it.
  for (const { uuid } of [first, second]) {
    const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
    expect(terminated.status).toBe(200);
    await untilTerminated(lm.api, uuid, 90_000);
    expect(await containersOf(uuid)).toHaveLength(0);
  }
}, 300_000);
