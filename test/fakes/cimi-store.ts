/**
 * In-memory CIMI document store with SlipStream's CRUD semantics (spec/mf2c-peers.md §5.2): the server owns
 * id/created/updated/resourceURI/operations, merges edits over the current document, validates closed
 * schemas on every write, and answers queries with `$filter`, `$orderby`, `$first` and `$last`.
 */
import { randomUUID } from 'node:crypto';
import { CimiFilterError, type FilterNode, matchesFilter, parseCimiFilter } from './cimi-filter';
import { resourceUri } from './cimi-resources';
import { CLOSED_SCHEMAS } from './cimi-schema';
import { clone, isRecord, type JsonObject } from './json-values';

/** A failure the HTTP layer turns into CIMI's `{status, message, resource-id}` envelope. */
export class CimiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly resourceId?: string,
  ) {
    super(message);
  }
}

export interface CimiQuery {
  /** Several filters are combined with `and`, as SlipStream does with repeated `$filter`. */
  filters: string[];
  orderby?: string;
  first?: number;
  last?: number;
}

/** Keys only the server may set; a client's values are dropped on create and ignored on edit. */
const SERVER_KEYS = ['id', 'created', 'updated', 'resourceURI', 'operations'];

export class CimiStore {
  private readonly docs = new Map<string, JsonObject>();

  constructor(private readonly resources: ReadonlySet<string>) {}

  isKnown(resource: string): boolean {
    return this.resources.has(resource);
  }

  /** POST semantics: new id, server timestamps, default ACL owned by the caller, then validation. */
  create(resource: string, body: JsonObject, caller: string): string {
    const now = new Date().toISOString();
    const id = `${resource}/${randomUUID()}`;
    const doc: JsonObject = { id, resourceURI: resourceUri(resource), created: now, updated: now, ...withoutServerKeys(body) };
    if (doc.acl === undefined) doc.acl = defaultAcl(caller);
    // No resource-id in the error: the document was never created.
    this.validate(resource, doc);
    this.docs.set(id, doc);
    return id;
  }

  /** Test seeding: keeps a given id, fills server keys, skips validation so tests can plant bad data. */
  insert(resource: string, body: JsonObject): string {
    if (!this.isKnown(resource)) throw new Error(`fake CIMI: unknown resource type "${resource}"`);
    const now = new Date().toISOString();
    const given = typeof body.id === 'string' && body.id.startsWith(`${resource}/`) ? body.id : undefined;
    const id = given ?? `${resource}/${randomUUID()}`;
    const doc: JsonObject = {
      id,
      resourceURI: resourceUri(resource),
      created: now,
      updated: now,
      acl: defaultAcl('ADMIN'),
      ...clone(body),
    };
    doc.id = id;
    doc.resourceURI = resourceUri(resource);
    delete doc.operations;
    this.docs.set(id, doc);
    return id;
  }

  get(id: string): JsonObject | undefined {
    const doc = this.docs.get(id);
    return doc === undefined ? undefined : clone(doc);
  }

  /** PUT semantics: merge the body over the current document, bump `updated`, re-validate. */
  edit(id: string, body: JsonObject): JsonObject {
    const current = this.docs.get(id);
    if (current === undefined) throw new CimiError(404, `${id} not found`, id);
    const merged: JsonObject = {
      ...current,
      ...withoutServerKeys(body),
      id,
      resourceURI: current.resourceURI,
      created: current.created,
      updated: new Date().toISOString(),
    };
    this.validate(resourceOf(id), merged, id);
    this.docs.set(id, merged);
    return clone(merged);
  }

  /** Test helper: merge without validation, as another mF2C component writing CIMI would. */
  patch(id: string, patch: JsonObject): JsonObject {
    const current = this.docs.get(id);
    if (current === undefined) throw new Error(`fake CIMI: ${id} not found`);
    const merged = { ...current, ...clone(patch), id, updated: new Date().toISOString() };
    this.docs.set(id, merged);
    return clone(merged);
  }

  remove(id: string): boolean {
    return this.docs.delete(id);
  }

  list(resource: string): JsonObject[] {
    return [...this.docs.values()].filter((doc) => resourceOf(String(doc.id)) === resource).map(clone);
  }

  /** Returns the total number of matches (CIMI's `count`) and the requested page. */
  query(resource: string, query: CimiQuery): { count: number; items: JsonObject[] } {
    let items = this.list(resource);
    for (const filter of query.filters) {
      const node = compileFilter(filter);
      items = items.filter((doc) => matchesFilter(node, doc));
    }
    if (query.orderby) items = orderBy(items, query.orderby);
    const first = Math.max(1, query.first ?? 1);
    const last = query.last ?? items.length;
    return { count: items.length, items: items.slice(first - 1, Math.max(first - 1, last)) };
  }

  private validate(resource: string, doc: JsonObject, id?: string): void {
    const problem = CLOSED_SCHEMAS[resource]?.(doc) ?? null;
    if (problem !== null) throw new CimiError(400, problem, id);
  }
}

export function resourceOf(id: string): string {
  return id.split('/')[0] ?? id;
}

/** What SlipStream gives a document created without an ACL: owned by the caller, ADMIN may do anything. */
export function defaultAcl(owner: string): JsonObject {
  return { owner: { principal: owner, type: 'USER' }, rules: [{ principal: 'ADMIN', type: 'ROLE', right: 'ALL' }] };
}

function compileFilter(filter: string): FilterNode {
  try {
    return parseCimiFilter(filter);
  } catch (err) {
    if (err instanceof CimiFilterError) throw new CimiError(400, `Invalid CIMI filter. ${err.message}`);
    throw err;
  }
}

function withoutServerKeys(body: JsonObject): JsonObject {
  const copy = clone(body);
  for (const key of SERVER_KEYS) delete copy[key];
  return copy;
}

/** `$orderby=a:desc,b` ; attributes may be `/` paths; missing values sort last. */
function orderBy(items: JsonObject[], spec: string): JsonObject[] {
  const keys = spec
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const [path = '', direction = 'asc'] = part.split(':');
      return { path: path.split('/'), descending: direction.toLowerCase() === 'desc' };
    });
  const at = (doc: unknown, path: string[]): unknown => path.reduce<unknown>((v, key) => (isRecord(v) ? v[key] : undefined), doc);
  return [...items].sort((a, b) => {
    for (const { path, descending } of keys) {
      const x = at(a, path);
      const y = at(b, path);
      if (x === y) continue;
      if (x === undefined || x === null) return 1;
      if (y === undefined || y === null) return -1;
      const n = typeof x === 'number' && typeof y === 'number' ? Math.sign(x - y) : String(x) < String(y) ? -1 : 1;
      if (n !== 0) return descending ? -n : n;
    }
    return 0;
  });
}
