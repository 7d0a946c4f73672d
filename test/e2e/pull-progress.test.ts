/**
 * A slow image pull shows on the instance (real Temporal, real Docker, a registry stand-in on loopback, in-process
 * LM): "pulling image … NN%" on its timeline and in the Web UI's current details while it runs, for a handful of
 * history events, and nothing of it once the instance is started.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { instanceIdOf, type TimelineEntry } from '../../workflows/model/instance';
import { getInstance, submit } from '../support/api-calls';
import { eventually } from '../support/eventually';
import { startLm, type LmHarness } from '../support/lm-harness';
import { startRegistryStandIn, type RegistryStandIn } from '../support/registry-stand-in';

let lm: LmHarness;
let registry: RegistryStandIn;
let image: string;

beforeAll(async () => {
  registry = await startRegistryStandIn();
  const repository = `lm-test/progress-${randomUUID().slice(0, 8)}`;
  // About 12 s for the layer: long enough for a few progress reports.
  registry.setMode(repository, { kind: 'slow', bytesPerTick: 32 * 1024, tickMs: 100 });
  image = registry.reference(repository);
  lm = await startLm();
});

afterAll(async () => {
  await lm?.stop();
  spawnSync('docker', ['image', 'rm', '--force', image]);
  await registry?.close();
});

interface WorkflowMetadata {
  currentDetails?: string;
}

test('a slow pull is reported on the timeline and in the current details, in a few signals', async () => {
  const { uuid } = await submit(lm.api, { image, wait: false });
  lm.made.push(uuid);
  const handle = lm.client.workflow.getHandle(instanceIdOf(uuid));
  const details = await eventually(
    'the pull in the current details',
    async () => {
      const metadata = await handle.query<WorkflowMetadata>('__temporal_workflow_metadata');
      return /pulling image .* … \d+% \(/.test(metadata.currentDetails ?? '') ? metadata.currentDetails : undefined;
    },
    60_000,
    200,
  );
  expect(details).toContain(image);
  const instance = await eventually(
    'the instance started',
    async () => {
      const current = await getInstance(lm.api, uuid);
      return current.status === 'started' ? current : undefined;
    },
    120_000,
    500,
  );
  expect(instance.agents[0].status).toBe('started');

  const timeline = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline as TimelineEntry[];
  const pulls = timeline.filter((e) => e.step === 'deploy' && (e.message ?? '').startsWith(`pulling image ${image}`));
  expect(pulls.length).toBeGreaterThanOrEqual(1);
  expect(pulls.some((e) => /… \d+% \(\d+\.\d of \d+\.\d MB, \d\/1 layers\)/.test(e.message ?? ''))).toBe(true);
  expect(pulls.every((e) => e.agent === '127.0.0.1#0')).toBe(true);

  const finished = await handle.query<WorkflowMetadata>('__temporal_workflow_metadata');
  expect(finished.currentDetails).not.toMatch(/pulling image/);
  // A few signals, not one per progress event of the engine.
  const { events } = await handle.fetchHistory();
  const signals = (events ?? []).filter((event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'progress').length;
  expect(signals).toBeGreaterThanOrEqual(2);
  expect(signals).toBeLessThanOrEqual(6);
}, 180_000);
