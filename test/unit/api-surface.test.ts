/**
 * Every endpoint of API v2 that DESIGN §6 lists is served (not the JSON 404 for unknown paths) and is in the
 * OpenAPI document, under its own path or as an alias of a documented one.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import axios, { type AxiosInstance } from 'axios';
import { createApiContext } from '../../api/api-context';
import { openReadModel } from '../../common/read-model/open-read-model';
import type { ReadModelStore } from '../../common/read-model/read-model-store';
import { ownReadModel, type OwnReadModel } from '../support/read-model';
import { createApp } from '../../api/app';
import { loadConfig } from '../../common/config';
import { STATUS_OF_FAILURE } from '../../api/routes/internal.routes';
import { createLogger } from '../../common/logger';

const ID = '2f6d0a1e-5c8b-4d53-9b8e-1f1d1c0e4a77';

type Endpoint = [method: 'get' | 'post' | 'put' | 'delete', path: string];

const REQUIRED: Endpoint[] = [
  ['get', '/api/v2'],
  ['get', '/api/v2/lm'],
  ['post', '/api/v2/lm'],
  ['get', '/api/v2/lm.json'],
  ['get', '/api/v2/lm.html'],
  ['get', '/api/v2/lm/agent-config'],
  ['get', '/api/v2/lm/agent-um'],
  ['get', '/api/v2/lm/check-agent-um'],
  ['get', '/api/v2/lm/check-agent-swarm'],
  ['get', '/api/v2/lm/isumalive'],
  ['get', '/api/v2/lm/agents'],
  ['get', '/api/v2/lm/agents/127.0.0.1'],
  ['post', '/api/v2/lm/service'],
  ['post', '/api/v2/lm/service-instance-int'],
  ['put', '/api/v2/lm/service-instance-int'],
  ...['service-instance', 'service-instances'].flatMap((base): Endpoint[] => [
    ['get', `/api/v2/lm/${base}/${ID}`],
    ['get', `/api/v2/lm/${base}/all`],
    ['put', `/api/v2/lm/${base}/${ID}`],
    ['delete', `/api/v2/lm/${base}/${ID}`],
    ['get', `/api/v2/lm/${base}/${ID}/report`],
    ['put', `/api/v2/lm/${base}/${ID}/der`],
    ['put', `/api/v2/lm/${base}/${ID}/compss`],
    ['get', `/api/v2/lm/${base}/${ID}/timeline`],
    ['get', `/api/v2/lm/${base}/${ID}/timeline/stream`],
  ]),
];

let server: Server;
let http: AxiosInstance;
let connection: Connection;
let readModel: OwnReadModel;
let store: ReadModelStore;

beforeAll(async () => {
  // Nothing listens on port 1: the routes answer 503 for Temporal, which is enough to show they exist.
  const config = loadConfig({ STANDALONE_MODE: 'True', TEMPORAL_ADDRESS: '127.0.0.1:1', LM_LOG_LEVEL: 'fatal' });
  connection = Connection.lazy({ address: config.temporal.address });
  readModel = await ownReadModel('sqlite');
  store = await openReadModel(readModel.location);
  const app = createApp(createApiContext(config, createLogger('api-surface', 'fatal'), new Client({ connection }), store));
  server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  http = axios.create({
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    validateStatus: () => true,
    maxRedirects: 0,
    timeout: 30_000,
  });
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await connection?.close().catch(() => undefined);
  await store?.close();
  await readModel?.drop();
});

test.each(REQUIRED)('%s %s is served', async (method, path) => {
  const response = await http.request({ method, url: path, data: method === 'get' || method === 'delete' ? undefined : {} });
  const message = typeof response.data === 'object' && response.data !== null ? (response.data as { message?: string }).message : undefined;
  expect(message ?? '').not.toMatch(/^no endpoint/);
  expect(response.status).not.toBe(500);
});

test.each(REQUIRED.filter(([, path]) => !/lm\.(json|html)$/.test(path)))('%s %s is in the OpenAPI document', async (method, path) => {
  const doc = (await http.get('/api/v2/lm.json')).data as { paths: Record<string, Record<string, { description?: string }>> };
  const templated = path
    .replace(ID, '{id}')
    .replace(/\/all$/, '/{id}')
    .replace(/\/agents\/127\.0\.0\.1$/, '/agents/{ip}');
  const direct = doc.paths[templated]?.[method];
  const aliased = Object.values(doc.paths).some((ops) => ops[method]?.description?.includes(templated.replace('{id}', ':id')));
  expect({ path: templated, documented: direct !== undefined || aliased }).toEqual({ path: templated, documented: true });
});

const INTERNAL: Endpoint[] = [
  ['post', '/api/v2/lm/service-instance-int'],
  ['put', '/api/v2/lm/service-instance-int'],
  ['post', '/api/v2/lm/service-instance-int/status'],
];

test.each(INTERNAL)('%s %s documents every status a runtime failure answers there', async (method, path) => {
  const doc = (await http.get('/api/v2/lm.json')).data as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  const documented = Object.keys(doc.paths[path]?.[method]?.responses ?? {});
  const answered = [...new Set([...Object.values(STATUS_OF_FAILURE), 502].map(String))];
  expect(answered.filter((status) => !documented.includes(status))).toEqual([]);
});
