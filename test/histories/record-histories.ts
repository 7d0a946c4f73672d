/**
 * Records the histories the replay test checks (run by hand when a workflow change is meant to be
 * incompatible, never in CI): `npm run build && node dist/test/histories/record-histories.js`.
 * Starts its own Temporal dev server and an in-process LM, drives a few lifecycles, writes JSON files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startDevServer } from '../support/dev-server';
import { PROJECT_ROOT } from '../support/temporal-binary';
import { startLm } from '../support/lm-harness';
import { operate, submit } from '../support/api-calls';
import { removeContainersOf } from '../support/docker-state';
import { ensureBusyboxImage, ensureCompssImage } from '../support/test-images';
import { instanceIdOf } from '../../workflows/model/instance';

const OUT = path.join(PROJECT_ROOT, 'test', 'histories');

async function main(): Promise<void> {
  ensureBusyboxImage();
  ensureCompssImage();
  const server = await startDevServer();
  process.env.LM_TEST_TEMPORAL_ADDRESS = server.address;
  const lm = await startLm();
  const made: string[] = [];
  try {
    const scenarios: Record<string, () => Promise<string>> = {
      'docker-lifecycle': async () => {
        const { uuid } = await submit(lm.api, { ports: [80] });
        for (const op of ['stop', 'start', 'restart']) await operate(lm.api, uuid, op);
        await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
        return uuid;
      },
      'missing-image': async () => {
        const { uuid } = await submit(lm.api, { image: 'lm-test/does-not-exist:1.0' });
        await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
        return uuid;
      },
      'compss-job': async () => {
        const response = await lm.api.post('/api/v2/lm/service?wait=true', {
          service: { name: 'compss', exec: 'lm-test/compss-agent:latest', exec_type: 'compss' },
        });
        const uuid = (response.data.service_instance.id as string).split('/')[1];
        await lm.api.put(`/api/v2/lm/service-instances/${uuid}/der`, {
          operation: 'start-job',
          ceiClass: 'a.B',
          className: 'a.C',
          hasResult: false,
          methodName: 'main',
          parameters: '<params paramId="0"></params>',
        });
        await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
        return uuid;
      },
    };
    for (const [name, run] of Object.entries(scenarios)) {
      const uuid = await run();
      made.push(uuid);
      const history = await lm.client.workflow.getHandle(instanceIdOf(uuid)).fetchHistory();
      fs.writeFileSync(path.join(OUT, `${name}.json`), JSON.stringify(JSON.parse(historyToJSON(history)), null, 1));
      console.log(`recorded ${name} (${history.events?.length ?? 0} events)`);
    }
  } finally {
    await removeContainersOf(made);
    await lm.stop();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
