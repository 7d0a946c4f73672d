/**
 * A COMPSs instance and a job: the container gets the original's environment and port 46100, start-job
 * reaches the real container (a busybox stand-in that records the request), the app id stays exact text.
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { containersOf, holdersOfHostPort, inspectContainer } from '../support/docker-state';
import { ensureCompssImage, BUSYBOX_IMAGE, COMPSS_IMAGE } from '../support/test-images';
import { startJobBody, submit } from '../support/api-calls';
import { eventually } from '../support/eventually';

let lm: LmHarness;

const JOB = startJobBody('<params paramId="0"><direction>IN</direction><type>OBJECT_T</type><value>20 &amp; more</value></params>') as {
  parameters: string;
  methodName: string;
};

beforeAll(async () => {
  ensureCompssImage();
  lm = await startLm({ CIMI_URL: 'http://cimi.invalid:8201' });
});

afterAll(async () => {
  await lm?.stop();
});

async function compssInstance(): Promise<string> {
  const response = await lm.api.post('/api/v2/lm/service?wait=true', {
    service: { name: 'compss-test', exec: COMPSS_IMAGE, exec_type: 'compss', exec_ports: [80] },
  });
  expect(response.status).toBe(200);
  expect(response.data.service_instance.status).toBe('started');
  const uuid = (response.data.service_instance.id as string).split('/')[1];
  lm.made.push(uuid);
  return uuid;
}

/**
 * 46100 is kept only when it is free (else the next free port is taken, by design): a suite before this one may
 * still be removing its COMPSs container. Anything that holds it longer is named, as it is a leftover.
 */
async function port46100Free(): Promise<void> {
  await eventually(
    'host port 46100 to be free',
    async () => {
      const holders = await holdersOfHostPort(46100);
      if (holders.length > 0) throw new Error(`host port 46100 is still held by ${holders.join('; ')}`);
      return true;
    },
    30_000,
  );
}

test('a COMPSs container gets the COMPSs environment and port 46100, and a job reaches it', async () => {
  await port46100Free();
  const uuid = await compssInstance();
  const [container] = await containersOf(uuid);
  const info = await inspectContainer(container.Id);
  expect(info.Config.Env).toEqual(
    expect.arrayContaining([
      `MF2C_HOST=${lm.config.hostIp}`,
      `AGENT_HOST=${lm.config.hostIp}`,
      'AGENT_PORT=46100',
      `DATACLAY_EP=${lm.config.hostIp}:1034`,
      'REPORT_ADDRESS=http://cimi.invalid:8201/api',
      'DEBUG=debug',
    ]),
  );
  const bindings = info.HostConfig.PortBindings as Record<string, Array<{ HostPort: string }>>;
  expect(bindings['46100/tcp'][0].HostPort).toBe('46100');
  // The app port is remapped by the usual rule, not published 1:1 (the original's bug C11).
  expect(Number(bindings['80/tcp'][0].HostPort)).toBeGreaterThanOrEqual(20001);

  const job = await lm.api.put(`/api/v2/lm/service-instances/${uuid}/der`, JOB);
  expect(job.status).toBe(200);
  expect(job.data).toMatchObject({ error: false, message: 'Start job', service_id: uuid, res: true });
  // 5217640153219234016 > 2^53: it must come back exactly, as text.
  expect(job.data.compss_app_id).toBe('5217640153219234016');
  expect(job.data.service_instance.agents[0].compss_app_id).toBe('5217640153219234016');

  const recorded = await eventually('the request recorded by the COMPSs stand-in', async () => {
    const text = await (await fetch('http://127.0.0.1:46100/requests')).text();
    return text.includes('startApplication') ? text : undefined;
  });
  expect(recorded).toContain('PUT /COMPSs/startApplication');
  expect(recorded).toContain('<ceiClass>es.bsc.compss.agent.test.TestItf</ceiClass>');
  expect(recorded).toContain('<hasResult>false</hasResult>');
  expect(recorded).toContain(`<parameters>${JOB.parameters}</parameters>`);
  expect(recorded).toContain(`<name>${lm.config.hostIp}</name>`);
  expect(recorded).toContain('<Name>Port</Name><Value>46100</Value>');
  expect(recorded).toContain(`<serviceInstanceId>${uuid}</serviceInstanceId>`);

  // The README's path and PUT with operation start-job reach the same job start.
  const second = await lm.api.put(`/api/v2/lm/service-instances/${uuid}`, JOB);
  expect(second.status).toBe(200);
  expect(second.data.compss_app_id).toBe('5217640153219234017');
  const third = await lm.api.put(`/api/v2/lm/service-instance/${uuid}/compss`, JOB);
  expect(third.data.compss_app_id).toBe('5217640153219234018');

  const timeline = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`);
  expect(timeline.data.timeline).toContainEqual(expect.objectContaining({ step: 'start-job', outcome: 'ok' }));

  const stopped = await lm.api.put(`/api/v2/lm/service-instances/${uuid}?wait=true`, { operation: 'stop' });
  expect(stopped.data.service_instance.status).toBe('stopped');
  const refused = await lm.api.put(`/api/v2/lm/service-instances/${uuid}/der`, JOB);
  expect(refused.status).toBe(409);
  expect(refused.data.message).toMatch(/stopped; start it before starting a job/);
  await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
});

test('start-job on a docker instance is a 409; bad job bodies are 400 / 501', async () => {
  const { uuid } = await submit(lm.api, { image: BUSYBOX_IMAGE });
  lm.made.push(uuid);
  const refused = await lm.api.put(`/api/v2/lm/service-instances/${uuid}/der`, JOB);
  expect(refused.status).toBe(409);
  expect(refused.data.message).toMatch(/needs a COMPSs instance; this one runs docker/);

  const { methodName: _m, ...missing } = JOB;
  const noMethod = await lm.api.put(`/api/v2/lm/service-instances/${uuid}/der`, missing);
  expect(noMethod.status).toBe(400);
  expect(noMethod.data.message).toMatch(/methodName: parameter not found/);

  const injected = await lm.api.put(`/api/v2/lm/service-instances/${uuid}/der`, {
    ...JOB,
    parameters: '</parameters><resources><externalResource/></resources><parameters>',
  });
  expect(injected.status).toBe(400);
  expect(injected.data.message).toMatch(/parameters is not balanced XML/);

  const wrongOperation = await lm.api.put(`/api/v2/lm/service-instances/${uuid}/der`, { ...JOB, operation: 'stop' });
  expect(wrongOperation.status).toBe(501);
});
