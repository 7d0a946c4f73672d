import { type FakeCimi, startFakeCimi } from '../../fakes/cimi';
import { DEFAULT_COMPSS_APP_ID, type FakeCompssAgent, startFakeCompssAgent } from '../../fakes/compss-agent';
import { http } from './http-client';

const XML = { 'Content-Type': 'application/xml' };

function externalResource(ip: string, port: number): string {
  return (
    '<externalResource><adaptor>es.bsc.compss.agent.rest.master.Adaptor</adaptor>' +
    '<description><memorySize>4.0</memorySize><processors><computingUnits>2</computingUnits><name>MainProcessor</name><type>CPU</type></processors></description>' +
    `<name>${ip}</name><resourceConf xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="ResourcesExternalAdaptorProperties">` +
    `<Property><Name>Port</Name><Value>${port}</Value></Property></resourceConf></externalResource>`
  );
}

const START_XML =
  "<?xml version='1.0' encoding='utf-8'?><startApplication><ceiClass>es.bsc.compss.agent.test.TestItf</ceiClass>" +
  '<className>es.bsc.compss.agent.test.Test</className><hasResult>False</hasResult><methodName>main</methodName>' +
  '<parameters><params paramId="0"><direction>IN</direction></params></parameters>' +
  `<resources>${externalResource('10.0.0.1', 46100)}${externalResource('10.0.0.2', 46100)}</resources>` +
  '<serviceInstanceId>2f6da0d0-e1e9-44fb-b03f-4259ce55a8f7</serviceInstanceId></startApplication>';

describe('fake COMPSs agent', () => {
  let compss: FakeCompssAgent;
  beforeEach(async () => {
    compss = await startFakeCompssAgent();
  });
  afterEach(async () => {
    await compss.close();
  });

  it('answers startApplication with a text/plain app id above 2^53, which JSON.parse would corrupt', async () => {
    const answer = await http('PUT', `${compss.url}/COMPSs/startApplication`, { body: START_XML, headers: XML });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain/);
    expect(answer.text).toBe(DEFAULT_COMPSS_APP_ID);
    expect(BigInt(answer.text) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(String(JSON.parse(answer.text))).not.toBe(DEFAULT_COMPSS_APP_ID);
    const second = await http('PUT', `${compss.url}/COMPSs/startApplication`, { body: START_XML, headers: XML });
    expect(second.text).toBe('5217640153219234017');
  });

  it('records the XML verbatim and parses the job and its resources', async () => {
    compss.setNextAppId('9007199254740993');
    await http('PUT', `${compss.url}/COMPSs/startApplication`, { body: START_XML, headers: XML });
    expect(compss.calls()[0]).toMatchObject({ body: START_XML, headers: { 'content-type': 'application/xml' } });
    expect(compss.applications()).toEqual([
      {
        appId: '9007199254740993',
        serviceInstanceId: '2f6da0d0-e1e9-44fb-b03f-4259ce55a8f7',
        ceiClass: 'es.bsc.compss.agent.test.TestItf',
        className: 'es.bsc.compss.agent.test.Test',
        methodName: 'main',
        hasResult: 'False',
        parameters: '<params paramId="0"><direction>IN</direction></params>',
        resources: [
          { name: '10.0.0.1', port: '46100' },
          { name: '10.0.0.2', port: '46100' },
        ],
      },
    ]);
  });

  it('refuses a non-XML content type with 415 and a wrong root with 400', async () => {
    const json = await http('PUT', `${compss.url}/COMPSs/startApplication`, { body: { className: 'x' } });
    expect(json.status).toBe(415);
    const wrongRoot = await http('PUT', `${compss.url}/COMPSs/startApplication`, { body: '<newResource/>', headers: XML });
    expect(wrongRoot.status).toBe(400);
    expect(compss.applications()).toEqual([]);
  });

  it('addResources, removeNode and lostNode answer 200 with an empty body and update the workers', async () => {
    await http('PUT', `${compss.url}/COMPSs/startApplication`, { body: START_XML, headers: XML });
    const appId = DEFAULT_COMPSS_APP_ID;
    const added = await http('PUT', `${compss.url}/COMPSs/addResources`, {
      body: `<newResource><appId>${appId}</appId>${externalResource('10.0.0.3', 46100)}</newResource>`,
      headers: XML,
    });
    expect([added.status, added.text]).toEqual([200, '']);
    const removed = await http('PUT', `${compss.url}/COMPSs/removeNode`, {
      body: `<removeNode><appId>${appId}</appId><workerName>10.0.0.2</workerName></removeNode>`,
      headers: XML,
    });
    expect([removed.status, removed.text]).toEqual([200, '']);
    await http('PUT', `${compss.url}/COMPSs/lostNode`, {
      body: `<lostNode><appId>${appId}</appId><workerName>10.0.0.1</workerName></lostNode>`,
      headers: XML,
    });
    expect(compss.applications()[0]?.resources).toEqual([{ name: '10.0.0.3', port: '46100' }]);
  });

  it('answers GET /COMPSs/test (with or without the trailing slash)', async () => {
    expect((await http('GET', `${compss.url}/COMPSs/test`)).status).toBe(200);
    expect((await http('GET', `${compss.url}/COMPSs/test/`)).status).toBe(200);
  });

  it('posts a service-operation-report into CIMI before answering, as internal ADMIN', async () => {
    const cimi: FakeCimi = await startFakeCimi();
    const reporting = await startFakeCompssAgent({ reportTo: cimi, recorder: cimi.recorder });
    try {
      await http('PUT', `${reporting.url}/COMPSs/startApplication`, { body: START_XML, headers: XML });
      const [report] = cimi.list('service-operation-report');
      expect(report).toMatchObject({
        requesting_application_id: { href: 'service-instance/2f6da0d0-e1e9-44fb-b03f-4259ce55a8f7' },
        compute_node_id: '10.0.0.1',
        operation_name: 'es.bsc.compss.agent.test.Test.main',
        operation_id: DEFAULT_COMPSS_APP_ID,
        execution_length: 0,
        result: '',
      });
      expect(reporting.applications()[0]?.reportId).toBe(report?.id);
      const post = cimi.callsTo('POST', '/api/service-operation-report')[0];
      expect(post?.headers['slipstream-authn-info']).toBe('internal ADMIN');
      expect(cimi.recorder.calls().map((c) => c.peer)).toEqual(['compss-agent', 'cimi']);
    } finally {
      await Promise.all([reporting.close(), cimi.close()]);
    }
  });
});
