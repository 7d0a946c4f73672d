/**
 * The agent's Docker engine goes away for a while (a proxy in front of the real socket is switched off):
 * submits are refused with 503 meanwhile, and an operation caught by the outage is retried until the engine
 * is back, then completes. Nothing lost, nothing duplicated.
 */
import { startDockerSocketProxy, type DockerSocketProxy } from '../support/docker-socket-proxy';
import { startLm, type LmHarness } from '../support/lm-harness';
import { containersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { dockerService, getInstance, operate, submit } from '../support/api-calls';

let proxy: DockerSocketProxy;
let lm: LmHarness;

beforeAll(async () => {
  proxy = await startDockerSocketProxy();
  lm = await startLm({ DOCKER_SOCKET: proxy.url, LM_DOCKER_TIMEOUT_MS: '3000' });
});

afterAll(async () => {
  await lm?.stop();
  await proxy?.close();
});

test('a submit while Docker is down is a 503 that says so', async () => {
  proxy.setDown(true);
  try {
    const response = await lm.api.post('/api/v2/lm/service', { service: dockerService() });
    expect(response.status).toBe(503);
    expect(response.data.message).toMatch(/Docker engine at unix:\/\/.* is not reachable/);
    const status = await lm.api.get('/api/v2');
    expect(status.data.dependencies.docker).not.toBe('ok');
  } finally {
    proxy.setDown(false);
  }
});

test('an operation caught by an outage waits for Docker and then completes', async () => {
  // The API caches its Docker probe for two seconds: wait until it sees the engine again.
  await eventually('the API to see Docker again', async () => {
    const status = await lm.api.get('/api/v2');
    return status.data.dependencies.docker === 'ok' ? true : undefined;
  });
  const { uuid } = await submit(lm.api);
  lm.made.push(uuid);
  proxy.setDown(true);
  const accepted = await operate(lm.api, uuid, 'stop', false);
  expect(accepted.status).toBe(200);
  // Give the stop activity time to fail against the dead socket and be retried.
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  expect((await getInstance(lm.api, uuid)).status).toBe('stopping');
  proxy.setDown(false);

  const instance = await eventually(
    'the stop to complete once Docker is back',
    async () => {
      const current = await getInstance(lm.api, uuid);
      return current.status === 'stopped' ? current : undefined;
    },
    90_000,
    500,
  );
  expect(instance.agents[0].status).toBe('stopped');
  const containers = await containersOf(uuid);
  expect(containers).toHaveLength(1);
  expect(containers[0].State).toBe('exited');
});
