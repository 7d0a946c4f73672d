/**
 * Fake CIMI (spec/mf2c-peers.md §5): SlipStream-style REST over an in-memory store, with the
 * `slipstream-authn-info` header required, CIMI envelopes and status codes, `$filter` queries, plural
 * collection keys and the closed `service-instance` schema.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { collectionKey, collectionUri, KNOWN_RESOURCES } from './cimi-resources';
import { type DefaultSeedOptions, type SeededIds, seedDefaults } from './cimi-seed';
import { CimiError, type CimiQuery, CimiStore } from './cimi-store';
import { type FakeServer, type FakeServerOptions, startFakeServer } from './fake-server';
import { pathParam, queryParams } from './http-params';
import { isRecord, type JsonObject } from './json-values';

export type { DefaultSeedOptions, SeededIds } from './cimi-seed';

export interface FakeCimiOptions extends FakeServerOptions {
  /** Answer 403 without `slipstream-authn-info` (default true, as the mF2C collections do). */
  requireAuth?: boolean;
  /** Seed one agent, device, user-profile, sharing-model and service (true = defaults). */
  seed?: boolean | DefaultSeedOptions;
  /** Resource types accepted besides the mF2C ones the LM and its peers use. */
  extraResources?: string[];
}

export interface FakeCimi extends FakeServer {
  /** What to set as the LM's CIMI_URL (`<url>/api`). */
  readonly apiUrl: string;
  /** Ids created by the `seed` option, if it was given. */
  readonly seeded: SeededIds | undefined;
  /** Inserts a document without validation; keeps `doc.id` if it has the `<resource>/` prefix. Returns the id. */
  seed(resource: string, doc: JsonObject): string;
  /** A copy of the stored document, or undefined. */
  get(id: string): JsonObject | undefined;
  list(resource: string): JsonObject[];
  /** Merges fields into a stored document without validation (another component writing CIMI). */
  patch(id: string, fields: JsonObject): JsonObject;
  remove(id: string): boolean;
}

const AUTH_HEADER = 'slipstream-authn-info';

/** CIMI's error envelope (util/response.clj). */
function envelope(status: number, message: string, resourceId?: string): JsonObject {
  return resourceId === undefined ? { status, message } : { status, message, 'resource-id': resourceId };
}

export async function startFakeCimi(options: FakeCimiOptions = {}): Promise<FakeCimi> {
  const store = new CimiStore(new Set([...KNOWN_RESOURCES, ...(options.extraResources ?? [])]));
  const requireAuth = options.requireAuth ?? true;
  const router = express.Router();

  const withOperations = (doc: JsonObject): JsonObject => ({
    ...doc,
    operations: [
      { rel: 'edit', href: String(doc.id) },
      { rel: 'delete', href: String(doc.id) },
    ],
  });

  router.get('/api', (req: Request, res: Response) => {
    const entryPoint: JsonObject = {
      id: 'cloud-entry-point',
      resourceURI: 'http://schemas.dmtf.org/cimi/2/CloudEntryPoint',
      baseURI: `${req.protocol}://${req.get('host') ?? ''}/api/`,
    };
    for (const resource of KNOWN_RESOURCES) entryPoint[collectionKey(resource)] = { href: resource };
    res.json(entryPoint);
  });

  // Every resource route: known type and credentials first, like SlipStream's ACL check.
  router.use('/api/:resource', (req: Request, res: Response, next: NextFunction) => {
    const resource = pathParam(req, 'resource');
    if (!store.isKnown(resource)) return void res.status(404).json(envelope(404, `unknown resource type: ${resource}`));
    if (requireAuth && (req.get(AUTH_HEADER) ?? '').trim() === '') {
      return void res.status(403).json(envelope(403, 'credentials required', resource));
    }
    next();
  });

  const search = (req: Request, res: Response, extra: JsonObject): void => {
    const resource = pathParam(req, 'resource');
    const { count, items } = store.query(resource, queryOf(req, extra));
    res.json({
      id: resource,
      resourceURI: collectionUri(resource),
      count,
      acceptContentTypes: ['application/json'],
      acl: {
        owner: { principal: 'ADMIN', type: 'ROLE' },
        rules: [{ principal: 'USER', type: 'ROLE', right: 'MODIFY' }],
      },
      operations: [{ rel: 'add', href: resource }],
      [collectionKey(resource)]: items.map(withOperations),
    });
  };
  router.get('/api/:resource', (req, res) => search(req, res, {}));
  // SlipStream also accepts a search as PUT on the collection, parameters in the body.
  router.put('/api/:resource', (req, res) => search(req, res, isRecord(req.body) ? req.body : {}));

  router.post('/api/:resource', (req: Request, res: Response) => {
    const body: unknown = req.body;
    if (!isRecord(body)) return void res.status(400).json(envelope(400, 'invalid request body: a JSON object is required'));
    const caller = (req.get(AUTH_HEADER) ?? 'ANON').trim().split(/\s+/)[0] ?? 'ANON';
    const id = store.create(pathParam(req, 'resource'), body, caller);
    res
      .status(201)
      .set('Location', id)
      .json({ status: 201, message: `${id} created`, 'resource-id': id });
  });

  router.get('/api/:resource/:uuid', (req: Request, res: Response) => {
    const id = `${pathParam(req, 'resource')}/${pathParam(req, 'uuid')}`;
    const doc = store.get(id);
    if (doc === undefined) return void res.status(404).json(envelope(404, `${id} not found`, id));
    res.json(withOperations(doc));
  });

  router.put('/api/:resource/:uuid', (req: Request, res: Response) => {
    const id = `${pathParam(req, 'resource')}/${pathParam(req, 'uuid')}`;
    const body: unknown = req.body;
    if (!isRecord(body)) return void res.status(400).json(envelope(400, 'invalid request body: a JSON object is required', id));
    res.json(withOperations(store.edit(id, body)));
  });

  router.delete('/api/:resource/:uuid', (req: Request, res: Response) => {
    const id = `${pathParam(req, 'resource')}/${pathParam(req, 'uuid')}`;
    if (!store.remove(id)) return void res.status(404).json(envelope(404, `${id} not found`, id));
    res.json({ status: 200, message: `${id} deleted`, 'resource-id': id });
  });

  // Store failures (schema, filter, not found) become CIMI envelopes; anything else stays a 500.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!(err instanceof CimiError)) return next(err);
    res.status(err.status).json(envelope(err.status, err.message, err.resourceId));
  });

  const server = await startFakeServer(
    { peer: 'cimi', routes: router, errorBody: (status, message) => envelope(status, message) },
    options,
  );
  const seed = (resource: string, doc: JsonObject): string => store.insert(resource, doc);
  const seeded = options.seed ? seedDefaults(seed, options.seed === true ? {} : options.seed) : undefined;

  return {
    ...server,
    apiUrl: `${server.url}/api`,
    seeded,
    seed,
    get: (id) => store.get(id),
    list: (resource) => store.list(resource),
    patch: (id, fields) => store.patch(id, fields),
    remove: (id) => store.remove(id),
  };
}

/** Query parameters are URL-decoded; repeated `$filter`s are and-ed. */
function queryOf(req: Request, body: JsonObject): CimiQuery {
  const params = queryParams(req);
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string' || typeof value === 'number') params.append(key, String(value));
  }
  const int = (name: string): number | undefined => {
    const raw = params.get(name);
    const n = raw === null ? NaN : Number.parseInt(raw, 10);
    return Number.isNaN(n) ? undefined : n;
  };
  return {
    filters: params.getAll('$filter').filter((f) => f.trim() !== ''),
    orderby: params.get('$orderby') ?? undefined,
    first: int('$first'),
    last: int('$last'),
  };
}
