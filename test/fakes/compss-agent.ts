/**
 * Fake COMPSs agent REST API (spec/mf2c-peers.md §6.2): XML in, text out. The application id it answers is
 * a decimal long above 2^53, so a client that parses it as a JS number visibly corrupts it. Optionally
 * writes the service-operation-report into CIMI, as the real agent does with REPORT_ADDRESS.
 */
import axios from 'axios';
import express, { type Request, type Response } from 'express';
import { type FakeServer, type FakeServerOptions, startFakeServer } from './fake-server';

export const DEFAULT_COMPSS_APP_ID = '5217640153219234016';

export interface CompssResource {
  /** The worker's IP (`<name>`). */
  name: string;
  /** The worker's COMPSs port (Property Port), as text. */
  port: string;
}

export interface CompssApplication {
  appId: string;
  serviceInstanceId: string;
  ceiClass: string;
  className: string;
  methodName: string;
  hasResult: string;
  /** The `<parameters>` content, verbatim. */
  parameters: string;
  /** Resources given at start, then changed by addResources / removeNode / lostNode. */
  resources: CompssResource[];
  /** Id of the service-operation-report written to CIMI, if any. */
  reportId?: string;
}

export interface FakeCompssAgentOptions extends FakeServerOptions {
  /** First application id; later starts count up from it. Default 5217640153219234016. */
  appId?: string;
  /** CIMI to report to (REPORT_ADDRESS): its `/api` URL, or a FakeCimi. */
  reportTo?: string | { apiUrl: string };
}

export interface FakeCompssAgent extends FakeServer {
  /** The id answered by the next startApplication. */
  setNextAppId(appId: string): void;
  applications(): CompssApplication[];
}

const XML_TYPE = /^(application|text)\/xml\b/i;

export async function startFakeCompssAgent(options: FakeCompssAgentOptions = {}): Promise<FakeCompssAgent> {
  // BigInt: the ids do not fit a JS number, which is the point.
  let nextAppId = BigInt(options.appId ?? DEFAULT_COMPSS_APP_ID);
  const applications = new Map<string, CompssApplication>();
  const reportUrl =
    options.reportTo === undefined ? undefined : typeof options.reportTo === 'string' ? options.reportTo : options.reportTo.apiUrl;

  const router = express.Router();

  // JAX-RS @Consumes(APPLICATION_XML): anything else is 415 before the method runs.
  const xmlBody = (req: Request, res: Response, root: string): string | undefined => {
    if (!XML_TYPE.test(req.get('content-type') ?? '')) {
      res.status(415).type('text/plain').send('Unsupported Media Type');
      return undefined;
    }
    const body: unknown = req.body;
    if (typeof body !== 'string' || !new RegExp(`<${root}[\\s>]`).test(body)) {
      res.status(400).type('text/plain').send(`Bad Request: expected a <${root}> document`);
      return undefined;
    }
    return body;
  };

  router.put('/COMPSs/startApplication', async (req: Request, res: Response) => {
    const xml = xmlBody(req, res, 'startApplication');
    if (xml === undefined) return;
    const appId = String(nextAppId);
    nextAppId += 1n;
    const app: CompssApplication = {
      appId,
      serviceInstanceId: tag(xml, 'serviceInstanceId'),
      ceiClass: tag(xml, 'ceiClass'),
      className: tag(xml, 'className'),
      methodName: tag(xml, 'methodName'),
      hasResult: tag(xml, 'hasResult'),
      parameters: tag(xml, 'parameters'),
      resources: externalResources(xml),
    };
    applications.set(appId, app);
    if (reportUrl !== undefined) app.reportId = await postReport(reportUrl, app);
    res.status(200).type('text/plain').send(appId);
  });

  router.put('/COMPSs/addResources', (req: Request, res: Response) => {
    const xml = xmlBody(req, res, 'newResource');
    if (xml === undefined) return;
    applications.get(tag(xml, 'appId'))?.resources.push(...externalResources(xml));
    res.status(200).end();
  });

  for (const root of ['removeNode', 'lostNode']) {
    router.put(`/COMPSs/${root}`, (req: Request, res: Response) => {
      const xml = xmlBody(req, res, root);
      if (xml === undefined) return;
      const app = applications.get(tag(xml, 'appId'));
      const worker = tag(xml, 'workerName');
      if (app) app.resources = app.resources.filter((r) => r.name !== worker);
      res.status(200).end();
    });
  }

  router.get('/COMPSs/test', (_req: Request, res: Response) => {
    res.status(200).end();
  });

  const server = await startFakeServer(
    { peer: 'compss-agent', routes: router, errorBody: (status, message) => `${status} ${message}` },
    options,
  );
  return {
    ...server,
    setNextAppId: (appId) => void (nextAppId = BigInt(appId)),
    applications: () => [...applications.values()].map((a) => ({ ...a, resources: a.resources.map((r) => ({ ...r })) })),
  };
}

/** Text of the first `<name>` element; the LM builds flat, unescaped XML so a regex is enough. */
function tag(xml: string, name: string): string {
  return new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`).exec(xml)?.[1]?.trim() ?? '';
}

/** `<name>` of an externalResource is its IP; the description also has `<name>`s, so drop it first. */
function externalResources(xml: string): CompssResource[] {
  const blocks = xml.match(/<externalResource>[\s\S]*?<\/externalResource>/g) ?? [];
  return blocks.map((block) => {
    const withoutDescription = block.replace(/<description>[\s\S]*?<\/description>/, '');
    const port = /<Name>\s*Port\s*<\/Name>\s*<Value>([^<]*)<\/Value>/.exec(block)?.[1]?.trim() ?? '';
    return { name: tag(withoutDescription, 'name'), port };
  });
}

/** The report the real agent writes when a job starts (spec/mf2c-peers.md §5.3, COMPSs utils/mf2c). */
async function postReport(cimiApiUrl: string, app: CompssApplication): Promise<string | undefined> {
  const start = new Date();
  const report = {
    requesting_application_id: { href: `service-instance/${app.serviceInstanceId}` },
    compute_node_id: app.resources[0]?.name ?? '127.0.0.1',
    operation_name: `${app.className}.${app.methodName}`,
    operation_id: app.appId,
    start_time: start.toISOString(),
    expected_end_time: new Date(start.getTime() + 8000).toISOString(),
    execution_length: 0.0,
    result: '',
  };
  try {
    const response = await axios.post<unknown>(`${cimiApiUrl.replace(/\/+$/, '')}/service-operation-report`, report, {
      headers: { 'slipstream-authn-info': 'internal ADMIN' },
      validateStatus: () => true,
      timeout: 5000,
    });
    const data: unknown = response.data;
    if (response.status !== 201 || typeof data !== 'object' || data === null || !('resource-id' in data)) return undefined;
    return typeof data['resource-id'] === 'string' ? data['resource-id'] : undefined;
  } catch {
    // The real agent only logs a failed report; the job still runs.
    return undefined;
  }
}
