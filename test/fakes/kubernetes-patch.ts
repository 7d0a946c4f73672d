/**
 * The PATCH bodies the Kubernetes API accepts, applied to an in-memory object: JSON patch (RFC 6902, what
 * client-node sends by default), JSON merge patch (RFC 7386) and strategic merge patch. Server-side apply is
 * refused with 415, as by a server that does not serve it.
 */
import { clone, isRecord, type JsonObject } from './json-values';

export type PatchType = 'json' | 'merge' | 'strategic';

const CONTENT_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};

export function patchTypeOf(contentType: string | undefined): PatchType | null {
  const base = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return CONTENT_TYPES[base] ?? null;
}

/** A patch that cannot apply: the API server answers 422 (JSON patch test/paths) or 400 (wrong shape). */
export class PatchError extends Error {
  constructor(
    message: string,
    readonly code: 400 | 422,
  ) {
    super(message);
  }
}

export function applyPatch(target: JsonObject, patch: unknown, type: PatchType): JsonObject {
  if (type === 'json') return applyJsonPatch(target, patch);
  if (!isRecord(patch)) throw new PatchError('the patch must be a JSON object', 400);
  const merged = type === 'merge' ? mergePatch(target, patch) : strategicMerge(target, patch);
  if (!isRecord(merged)) throw new PatchError('the patched object is not an object', 400);
  return merged;
}

/** RFC 7386: objects merge, null deletes, anything else (arrays included) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const result: JsonObject = isRecord(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/**
 * Strategic merge, for the fields the LM's objects have: lists of named objects (containers, ports) merge
 * by `name`; other lists replace, as a merge patch. `$patch` directives are not supported.
 */
export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (Array.isArray(patch) && Array.isArray(target) && isNamedList(patch) && isNamedList(target)) {
    const result: JsonObject[] = target.map((item) => clone(item));
    for (const item of patch) {
      const index = result.findIndex((existing) => existing.name === item.name);
      if (index >= 0) result[index] = strategicMerge(result[index], item) as JsonObject;
      else result.push(clone(item));
    }
    return result;
  }
  if (!isRecord(patch)) return clone(patch);
  const result: JsonObject = isRecord(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = strategicMerge(result[key], value);
  }
  return result;
}

function isNamedList(list: unknown[]): list is Array<JsonObject & { name: string }> {
  return list.length > 0 && list.every((item) => isRecord(item) && typeof item.name === 'string');
}

interface JsonPatchOperation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function isOperation(value: unknown): value is JsonPatchOperation {
  return isRecord(value) && typeof value.op === 'string' && typeof value.path === 'string';
}

/** RFC 6902 on a copy: a failing operation leaves the object untouched. */
export function applyJsonPatch(target: JsonObject, patch: unknown): JsonObject {
  if (!Array.isArray(patch) || !patch.every(isOperation)) {
    throw new PatchError('a JSON patch must be an array of operations with "op" and "path"', 400);
  }
  const root: { doc: unknown } = { doc: clone(target) };
  for (const operation of patch) apply(root, operation);
  if (!isRecord(root.doc)) throw new PatchError('the patched object is not an object', 400);
  return root.doc;
}

function apply(root: { doc: unknown }, { op, path, from, value }: JsonPatchOperation): void {
  switch (op) {
    case 'add':
      return put(root, path, clone(value), 'add');
    case 'replace':
      return put(root, path, clone(value), 'replace');
    case 'remove':
      return void take(root, path);
    case 'test':
      if (JSON.stringify(get(root.doc, path)) !== JSON.stringify(value)) {
        throw new PatchError(`testing value ${path} failed`, 422);
      }
      return;
    case 'move':
      return put(root, path, take(root, requireFrom(from, op)), 'add');
    case 'copy':
      return put(root, path, clone(get(root.doc, requireFrom(from, op))), 'add');
    default:
      throw new PatchError(`unsupported JSON patch operation "${op}"`, 400);
  }
}

function requireFrom(from: string | undefined, op: string): string {
  if (from === undefined) throw new PatchError(`a "${op}" operation needs "from"`, 400);
  return from;
}

function tokens(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer "${path}"`, 400);
  return path
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function get(doc: unknown, path: string): unknown {
  let current = doc;
  for (const token of tokens(path)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isRecord(current) && token in current) current = current[token];
    else throw new PatchError(`doc is missing path: ${path}`, 422);
    if (current === undefined) throw new PatchError(`doc is missing path: ${path}`, 422);
  }
  return current;
}

/** The container of the last token, and that token. */
function parentOf(root: { doc: unknown }, path: string): { parent: unknown; key: string } {
  const all = tokens(path);
  if (all.length === 0) return { parent: root, key: 'doc' };
  const key = all[all.length - 1];
  const parentPath =
    all.length === 1
      ? ''
      : `/${all
          .slice(0, -1)
          .map((t) => t.replace(/~/g, '~0').replace(/\//g, '~1'))
          .join('/')}`;
  return { parent: parentPath === '' ? root.doc : get(root.doc, parentPath), key };
}

function put(root: { doc: unknown }, path: string, value: unknown, mode: 'add' | 'replace'): void {
  const { parent, key } = parentOf(root, path);
  if (parent === root) {
    root.doc = value;
    return;
  }
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length || (mode === 'replace' && index >= parent.length)) {
      throw new PatchError(`invalid array index ${key} in ${path}`, 422);
    }
    if (mode === 'add') parent.splice(index, 0, value);
    else parent[index] = value;
    return;
  }
  if (!isRecord(parent)) throw new PatchError(`doc is missing path: ${path}`, 422);
  // A JSON patch "replace" needs the member to exist (why merge patches are safer for omitted zero values).
  if (mode === 'replace' && !(key in parent)) throw new PatchError(`replace operation does not apply: doc is missing key: ${path}`, 422);
  parent[key] = value;
}

function take(root: { doc: unknown }, path: string): unknown {
  const { parent, key } = parentOf(root, path);
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length) throw new PatchError(`invalid array index ${key} in ${path}`, 422);
    return parent.splice(index, 1)[0];
  }
  if (!isRecord(parent) || !(key in parent)) throw new PatchError(`doc is missing path: ${path}`, 422);
  const value = parent[key];
  delete parent[key];
  return value;
}
