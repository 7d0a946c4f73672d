/** Bad input gets the right 4xx and a message that says what to fix; nothing reaches Temporal or Docker. */
import { startLm, type LmHarness } from '../support/lm-harness';
import { dockerService, operate, submit } from '../support/api-calls';

let lm: LmHarness;

beforeAll(async () => {
  lm = await startLm();
});

afterAll(async () => {
  await lm?.stop();
});

const SERVICE = '/api/v2/lm/service';

async function postRaw(body: string, contentType = 'application/json') {
  return lm.api.post(SERVICE, body, { headers: { 'Content-Type': contentType }, transformRequest: [(data: string) => data] });
}

test('malformed JSON is a 400 that says so', async () => {
  const response = await postRaw('{"service": {"exec": ');
  expect(response.status).toBe(400);
  expect(response.data).toEqual({ error: true, message: expect.stringMatching(/not valid JSON/) });
});

test('a body that is not a JSON object is a 400', async () => {
  for (const body of ['[]', '"text"', 'null', '42']) {
    const response = await postRaw(body);
    expect(response.status).toBe(400);
    expect(response.data.message).toMatch(/JSON object/);
  }
});

test('no service and no service_id is a 400 naming both', async () => {
  const response = await lm.api.post(SERVICE, { sla_template: 'x' });
  expect(response.status).toBe(400);
  expect(response.data.message).toMatch(/service \/ service_id/);
});

test('a service without exec is a 400 naming service.exec', async () => {
  const response = await lm.api.post(SERVICE, { service: { name: 'x', exec_type: 'docker' } });
  expect(response.status).toBe(400);
  expect(response.data.message).toMatch(/service\.exec/);
});

test('an unknown exec_type is a 400 listing the valid ones', async () => {
  const response = await lm.api.post(SERVICE, { service: { name: 'x', exec: 'nginx', exec_type: 'podman' } });
  expect(response.status).toBe(400);
  expect(response.data.message).toMatch(/unknown exec_type "podman".*docker, compss/);
});

test('an invalid image reference or port is a 400', async () => {
  const image = await lm.api.post(SERVICE, { service: { exec: 'NGINX latest', exec_type: 'docker' } });
  expect(image.status).toBe(400);
  expect(image.data.message).toMatch(/not a valid image reference/);
  const port = await lm.api.post(SERVICE, { service: { ...dockerService(), exec_ports: [70000] } });
  expect(port.status).toBe(400);
  expect(port.data.message).toMatch(/exec_ports\.0: ports are 1\.\.65535/);
});

test('an agent_ip that is not an address is a 400', async () => {
  const response = await lm.api.post(SERVICE, { service: dockerService(), agents_list: [{ agent_ip: 'a b; rm -rf /' }] });
  expect(response.status).toBe(400);
  expect(response.data.message).toMatch(/agents_list\.0\.agent_ip/);
});

test('service_id in standalone mode is a 400 that explains the mode', async () => {
  const response = await lm.api.post(SERVICE, { service_id: 'service/abc' });
  expect(response.status).toBe(400);
  expect(response.data.message).toMatch(/STANDALONE/);
});

describe('operations', () => {
  let uuid: string;

  beforeAll(async () => {
    ({ uuid } = await submit(lm.api));
    lm.made.push(uuid);
  });

  test('a PUT without operation is a 400', async () => {
    const response = await lm.api.put(`/api/v2/lm/service-instances/${uuid}`, {});
    expect(response.status).toBe(400);
    expect(response.data.message).toMatch(/parameter not found: operation/);
  });

  test('an unknown operation is a 501', async () => {
    const response = await operate(lm.api, uuid, 'pause');
    expect(response.status).toBe(501);
    expect(response.data.message).toMatch(/"pause" is not defined: use start, stop, restart or start-job/);
  });

  test('an unknown id is a 404, a malformed one a 400', async () => {
    const unknown = await lm.api.get('/api/v2/lm/service-instances/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.data.error).toBe(true);
    const unknownPut = await operate(lm.api, '00000000-0000-4000-8000-000000000000', 'stop');
    expect(unknownPut.status).toBe(404);
    const malformed = await lm.api.get('/api/v2/lm/service-instances/not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(malformed.data.message).toMatch(/<uuid>/);
  });

  test('start on a started instance is a 409 with the reason', async () => {
    const response = await operate(lm.api, uuid, 'start');
    expect(response.status).toBe(409);
    expect(response.data.message).toMatch(/already started/);
  });

  test('start on a terminated instance is a 409; a second DELETE too', async () => {
    const deleted = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
    expect(deleted.status).toBe(200);
    const start = await operate(lm.api, uuid, 'start');
    expect(start.status).toBe(409);
    expect(start.data.message).toMatch(/terminated; submit the service again/);
    const again = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}`);
    expect(again.status).toBe(409);
  });

  test('an unknown status filter is a 400', async () => {
    const response = await lm.api.get('/api/v2/lm/service-instances/all?status=running');
    expect(response.status).toBe(400);
    expect(response.data.message).toMatch(/unknown status running/);
  });

  test('an unknown path is a JSON 404', async () => {
    const response = await lm.api.get('/api/v2/lm/nothing-here');
    expect(response.status).toBe(404);
    expect(response.data).toEqual({ error: true, message: expect.stringMatching(/no endpoint GET/) });
  });
});
