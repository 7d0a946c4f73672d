/**
 * DELETE wins, whatever runs: a start retrying an engine that does not answer, or a deploy whose image pull
 * hangs, is interrupted; the DELETE is answered at once with `terminating`, and the instance ends `terminated`
 * with nothing left on Docker. A cancel from Temporal (the CLI, as the Web UI's Cancel) terminates the
 * instance the same way.
 */
import { spawnSync } from 'node:child_process';
import { startDockerSocketProxy, type DockerSocketProxy } from '../support/docker-socket-proxy';
import { startLm, type LmHarness } from '../support/lm-harness';
import { containersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { getInstance, operate, submit, untilTerminated } from '../support/api-calls';
import { startHangingRegistry } from '../support/hanging-registry';
import { temporalBinary } from '../support/temporal-binary';
import { instanceIdOf, type TimelineEntry } from '../../workflows/model/instance';

let proxy: DockerSocketProxy;
let lm: LmHarness;

beforeAll(async () => {
  proxy = await startDockerSocketProxy();
  lm = await startLm({ DOCKER_SOCKET: proxy.url, LM_DOCKER_TIMEOUT_MS: '2000' });
});

afterAll(async () => {
  proxy?.setDown(false);
  await lm?.stop();
  await proxy?.close();
});

async function timelineOf(uuid: string): Promise<TimelineEntry[]> {
  return (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline as TimelineEntry[];
}

test('DELETE during a start that retries an unreachable engine: answered at once with terminating, then terminated, nothing left', async () => {
  const { uuid } = await submit(lm.api);
  lm.made.push(uuid);
  expect((await operate(lm.api, uuid, 'stop')).data.service_instance.status).toBe('stopped');
  proxy.setDown(true);
  try {
    expect((await operate(lm.api, uuid, 'start', false)).status).toBe(200);
    // The start retries, and says why on the timeline.
    const retrying = await eventually(
      'a retry on the timeline',
      async () => {
        const entry = (await timelineOf(uuid)).find((e) => /^retrying start on 127\.0\.0\.1: .+ \(attempt 1\)$/.test(e.message ?? ''));
        return entry;
      },
      30_000,
      250,
    );
    expect(retrying.message).toMatch(/Docker engine .* not reachable|ECONNRESET|socket hang up|connect/i);

    const sent = Date.now();
    const answer = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}`);
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(answer.status).toBe(200);
    expect(answer.data.service_instance.status).toBe('terminating');
    // While the engine is away the removal itself waits for it; the instance stays terminating.
    expect((await getInstance(lm.api, uuid)).status).toBe('terminating');
  } finally {
    proxy.setDown(false);
  }
  await untilTerminated(lm.api, uuid);
  expect(await containersOf(uuid)).toHaveLength(0);
  const timeline = await timelineOf(uuid);
  expect(timeline.some((e) => e.message === 'start was interrupted: the service instance is being terminated')).toBe(true);
  // The interrupted start never ran the container: nothing was started after the DELETE.
  expect(timeline.filter((e) => e.step === 'start' && e.outcome === 'ok')).toHaveLength(1);
}, 120_000);

test('DELETE while the image pull hangs: answered at once with terminating, then terminated, nothing left', async () => {
  const registry = await startHangingRegistry();
  try {
    const { uuid } = await submit(lm.api, { image: registry.image, wait: false });
    lm.made.push(uuid);
    await eventually('the pull to reach the registry', async () => (registry.manifestRequests() > 0 ? true : undefined), 30_000, 100);
    const sent = Date.now();
    const answer = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}`);
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(answer.status).toBe(200);
    expect(answer.data.service_instance.status).toBe('terminating');
    await eventually(
      `${uuid} terminated`,
      async () => ((await getInstance(lm.api, uuid)).status === 'terminated' ? true : undefined),
      30_000,
      250,
    );
    expect(await containersOf(uuid)).toHaveLength(0);
    expect((await timelineOf(uuid)).some((e) => e.message === 'deploy was interrupted: the service instance is being terminated')).toBe(
      true,
    );
  } finally {
    await registry.close();
  }
}, 90_000);

test('a cancel from Temporal (temporal workflow cancel) terminates the instance: terminated, nothing left', async () => {
  const { uuid } = await submit(lm.api);
  lm.made.push(uuid);
  expect(await containersOf(uuid)).toHaveLength(1);
  const cancel = spawnSync(
    temporalBinary(),
    [
      'workflow',
      'cancel',
      '--workflow-id',
      instanceIdOf(uuid),
      '--address',
      lm.config.temporal.address,
      '--namespace',
      lm.config.temporal.namespace,
    ],
    {
      encoding: 'utf8',
    },
  );
  expect(cancel.status).toBe(0);
  await untilTerminated(lm.api, uuid);
  expect(await containersOf(uuid)).toHaveLength(0);
  const timeline = await timelineOf(uuid);
  expect(timeline).toContainEqual(
    expect.objectContaining({ step: 'cancel', message: expect.stringMatching(/workflow was cancelled .*terminating the instance/) }),
  );
  const description = await lm.client.workflow.getHandle(instanceIdOf(uuid)).describe();
  expect(description.status.name).toBe('COMPLETED');
}, 60_000);
