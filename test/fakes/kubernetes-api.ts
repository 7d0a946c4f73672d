/**
 * Fake Kubernetes API server (no cluster can run on these machines): real `apps/v1` Deployments (with the
 * `scale` subresource) and `v1` Services, `v1` Pods derived by a simulated controller, answered with the JSON
 * and `Status` errors of a real API server (404 NotFound, 409 AlreadyExists/Conflict, 422 Invalid, 415).
 * PATCH takes JSON patch, merge patch and strategic merge patch, by Content-Type, as the real server does.
 * Lists answer `?watch=true` with a stream of events (kubernetes-watch.ts), per namespace or across all of them.
 * Built on fake-server.ts: every call is recorded (method, path, query, content-type, body) and faults can be
 * scripted (`failNext('POST', '/apis/apps/v1', { status: 403, body: forbidden(…) })`, `hang`, `setDown`).
 */
import express, { type Request, type Response, type Router } from 'express';
import { DeploymentController, type PodWaiting } from './kubernetes-controller';
import { applyPatch, PatchError, patchTypeOf } from './kubernetes-patch';
import {
  alreadyExists,
  conflict,
  failureStatus,
  invalid,
  namespaceNotFound,
  notFound,
  successStatus,
  type KubernetesStatus,
} from './kubernetes-status';
import { DEPLOYMENTS, KubernetesStore, SERVICES, type ResourcePlural, type ResourceType, type StoredObject } from './kubernetes-store';
import { type FakeServer, type FakeServerOptions, startFakeServer } from './fake-server';
import { pathParam, queryParams } from './http-params';
import { matchesSelector } from './kubernetes-selector';
import { WatchHub } from './kubernetes-watch';
import { PodLogs } from './kubernetes-pod-logs';
import { clone, isRecord, type JsonObject } from './json-values';

export type { PodWaiting } from './kubernetes-controller';

export interface FakeKubernetesApiOptions extends FakeServerOptions {
  /** Namespaces that exist; default ["default"]. */
  namespaces?: string[];
  /** How long the controller takes to report a change to a Deployment; default 50 ms. */
  readyDelayMs?: number;
}

export interface FakeKubernetesApi extends FakeServer {
  /** A copy of a stored object; undefined when there is none. */
  object(resource: ResourcePlural, namespace: string, name: string): StoredObject | undefined;
  objects(resource: ResourcePlural, namespace?: string): StoredObject[];
  /** Creates an object as another client of the cluster would (validated, not recorded as a call). */
  seed(resource: ResourcePlural, namespace: string, body: JsonObject): StoredObject;
  setReadyDelay(ms: number): void;
  /** Every pod's container keeps waiting with this reason (e.g. ImagePullBackOff); null: pods become ready. */
  setPodsWaiting(waiting: PodWaiting | null): void;
  addNamespace(namespace: string): void;
  /** Deletes an object as another client of the cluster would (not recorded as a call). */
  remove(resource: ResourcePlural, namespace: string, name: string): void;
  /** Ends every open watch (an API server restart): watchers must resume from their last resourceVersion. */
  endWatches(): void;
  /** Forgets the change history (etcd compaction): resuming from before it answers 410 Expired. */
  compact(): void;
  /** Watches streaming now. */
  openWatches(): number;
  /** A line that `container` of every pod of Deployment `deployment` prints (served by `pods/<name>/log`). */
  appendPodLog(namespace: string, deployment: string, container: string, line: string): void;
}

const TYPES: Record<ResourcePlural, ResourceType> = { deployments: DEPLOYMENTS, services: SERVICES };
const PATCH_TYPES = 'application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json';

class ApiError extends Error {
  constructor(readonly status: KubernetesStatus) {
    super(status.message);
  }
}

function send(res: Response, code: number, body: unknown): void {
  res.status(code).json(body);
}

/** List items carry neither apiVersion nor kind, as in a real list. */
function listOf(type: ResourceType, items: StoredObject[], resourceVersion: string): JsonObject {
  return {
    apiVersion: type.apiVersion,
    kind: type.listKind,
    metadata: { resourceVersion },
    items: items.map((item) => {
      const copy: JsonObject = clone(item);
      delete copy.apiVersion;
      delete copy.kind;
      return copy;
    }),
  };
}

export async function startFakeKubernetesApi(options: FakeKubernetesApiOptions = {}): Promise<FakeKubernetesApi> {
  const store = new KubernetesStore(options.namespaces ?? ['default']);
  const controller = new DeploymentController(store, options.readyDelayMs ?? 50);
  const watches = new WatchHub(store);
  const podLogs = new PodLogs();
  const router: Router = express.Router();

  const existing = (type: ResourceType, namespace: string, name: string): StoredObject => {
    const found = store.get(type, namespace, name);
    if (!found) throw new ApiError(notFound(type, name));
    return found;
  };

  /** What the API server checks on every write, in its order: shape, version, namespace, name, rules. */
  const checkWrite = (type: ResourceType, namespace: string, body: unknown, current: StoredObject | undefined): JsonObject => {
    if (!isRecord(body)) throw new ApiError(failureStatus(400, 'the body of the request must be a JSON object'));
    if (body.apiVersion !== undefined && body.apiVersion !== type.apiVersion) {
      throw new ApiError(
        failureStatus(
          400,
          `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${type.apiVersion})`,
        ),
      );
    }
    if (body.kind !== undefined && body.kind !== type.kind) {
      throw new ApiError(failureStatus(400, `the kind in the data (${String(body.kind)}) does not match the expected kind (${type.kind})`));
    }
    if (!store.hasNamespace(namespace)) throw new ApiError(namespaceNotFound(namespace));
    const metadata = isRecord(body.metadata) ? body.metadata : {};
    if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
      throw new ApiError(failureStatus(400, 'the namespace of the provided object does not match the namespace sent on the request'));
    }
    if (current && metadata.name !== undefined && metadata.name !== current.metadata.name) {
      throw new ApiError(
        failureStatus(
          400,
          `the name of the object (${String(metadata.name)}) does not match the name on the URL (${current.metadata.name})`,
        ),
      );
    }
    const named = current ? { ...body, metadata: { ...metadata, name: current.metadata.name } } : body;
    const name = current?.metadata.name ?? String(metadata.name ?? '');
    const causes = type.validate(named);
    if (
      current &&
      type === SERVICES &&
      isRecord(named.spec) &&
      named.spec.clusterIP !== undefined &&
      named.spec.clusterIP !== current.spec.clusterIP
    ) {
      causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: field is immutable', field: 'spec.clusterIPs[0]' });
    }
    if (type === SERVICES) {
      const taken = store.takenNodePort(named, current);
      if (taken !== null)
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${taken}: provided port is already allocated`,
          field: 'spec.ports[0].nodePort',
        });
    }
    if (causes.length > 0) throw new ApiError(invalid(type, name, causes));
    return named;
  };

  const write = (type: ResourceType, current: StoredObject, body: JsonObject): StoredObject => {
    const updated = store.update(type, current, body);
    if (type === DEPLOYMENTS) controller.changed(updated);
    return updated;
  };

  const patched = (req: Request, target: JsonObject): JsonObject => {
    const patchType = patchTypeOf(req.headers['content-type']);
    if (patchType === null) {
      throw new ApiError(
        failureStatus(415, `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES}`),
      );
    }
    try {
      return applyPatch(target, req.body, patchType);
    } catch (err) {
      if (err instanceof PatchError) throw new ApiError(failureStatus(err.code, err.message));
      throw err;
    }
  };

  /** Every route answers ApiErrors as Status objects; anything else is the server's fault (500). */
  const handle = (work: (req: Request, res: Response) => void) => (req: Request, res: Response) => {
    try {
      work(req, res);
    } catch (err) {
      if (err instanceof ApiError) send(res, err.status.code ?? 500, err.status);
      else send(res, 500, failureStatus(500, err instanceof Error ? err.message : String(err)));
    }
  };

  for (const type of [DEPLOYMENTS, SERVICES]) {
    const base = `${type.group === '' ? '/api/v1' : `/apis/${type.apiVersion}`}/namespaces/:namespace/${type.plural}`;
    const listOrWatch = (req: Request, res: Response, namespace: string | undefined): void => {
      const params = queryParams(req);
      if (params.get('watch') === 'true' || params.get('watch') === '1') return watches.serve(req, res, type, namespace);
      const items = store.list(type, namespace).filter((item) => matchesSelector(item.metadata.labels, params.get('labelSelector')));
      send(res, 200, listOf(type, items, store.resourceVersion()));
    };
    router.get(
      base,
      handle((req, res) => listOrWatch(req, res, pathParam(req, 'namespace'))),
    );
    // Across every namespace: /apis/apps/v1/deployments, /api/v1/services.
    router.get(
      base.replace('/namespaces/:namespace', ''),
      handle((req, res) => listOrWatch(req, res, undefined)),
    );
    router.post(
      base,
      handle((req, res) => {
        const namespace = pathParam(req, 'namespace');
        const body = checkWrite(type, namespace, req.body, undefined);
        const name = String((body.metadata as JsonObject).name);
        if (store.get(type, namespace, name)) throw new ApiError(alreadyExists(type, name));
        const created = store.create(type, namespace, body);
        if (type === DEPLOYMENTS) controller.changed(created);
        send(res, 201, created);
      }),
    );
    router.get(
      `${base}/:name`,
      handle((req, res) => {
        send(res, 200, existing(type, pathParam(req, 'namespace'), pathParam(req, 'name')));
      }),
    );
    router.put(
      `${base}/:name`,
      handle((req, res) => {
        const current = existing(type, pathParam(req, 'namespace'), pathParam(req, 'name'));
        const body = checkWrite(type, current.metadata.namespace, req.body, current);
        const version = isRecord(body.metadata) ? body.metadata.resourceVersion : undefined;
        if (version !== undefined && version !== current.metadata.resourceVersion)
          throw new ApiError(conflict(type, current.metadata.name));
        send(res, 200, write(type, current, body));
      }),
    );
    router.patch(
      `${base}/:name`,
      handle((req, res) => {
        const current = existing(type, pathParam(req, 'namespace'), pathParam(req, 'name'));
        const body = checkWrite(type, current.metadata.namespace, patched(req, clone(current)), current);
        send(res, 200, write(type, current, body));
      }),
    );
    router.delete(
      `${base}/:name`,
      handle((req, res) => {
        const current = existing(type, pathParam(req, 'namespace'), pathParam(req, 'name'));
        store.remove(type, current);
        // apps/v1 answers a Status; core/v1 Services answer the deleted object.
        send(res, 200, type === DEPLOYMENTS ? successStatus(type, current.metadata.name, current.metadata.uid) : current);
      }),
    );
  }

  const scaleBase = '/apis/apps/v1/namespaces/:namespace/deployments/:name/scale';
  const scaleOf = (deployment: StoredObject): JsonObject => ({
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: deployment.metadata.name,
      namespace: deployment.metadata.namespace,
      uid: deployment.metadata.uid,
      resourceVersion: deployment.metadata.resourceVersion,
      creationTimestamp: deployment.metadata.creationTimestamp,
    },
    // autoscaling/v1 Scale omits a 0 `replicas` (omitempty): a JSON patch "replace" on it then fails, as for real.
    spec: deployment.spec.replicas ? { replicas: deployment.spec.replicas } : {},
    status: { replicas: deployment.status.replicas ?? 0, selector: `app=${deployment.metadata.name}` },
  });
  const rescale = (deployment: StoredObject, scale: unknown): StoredObject => {
    const replicas = isRecord(scale) && isRecord(scale.spec) ? (scale.spec.replicas ?? 0) : undefined;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw new ApiError(
        invalid({ plural: 'scale', group: 'autoscaling', kind: 'Scale' }, deployment.metadata.name, [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
            field: 'spec.replicas',
          },
        ]),
      );
    }
    return write(DEPLOYMENTS, deployment, { ...deployment, spec: { ...deployment.spec, replicas } });
  };
  router.get(
    scaleBase,
    handle((req, res) => {
      send(res, 200, scaleOf(existing(DEPLOYMENTS, pathParam(req, 'namespace'), pathParam(req, 'name'))));
    }),
  );
  router.put(
    scaleBase,
    handle((req, res) => {
      const current = existing(DEPLOYMENTS, pathParam(req, 'namespace'), pathParam(req, 'name'));
      send(res, 200, scaleOf(rescale(current, req.body)));
    }),
  );
  router.patch(
    scaleBase,
    handle((req, res) => {
      const current = existing(DEPLOYMENTS, pathParam(req, 'namespace'), pathParam(req, 'name'));
      send(res, 200, scaleOf(rescale(current, patched(req, scaleOf(current)))));
    }),
  );

  router.get(
    '/api/v1/namespaces/:namespace/pods',
    handle((req, res) => {
      const namespace = pathParam(req, 'namespace');
      const selector = queryParams(req).get('labelSelector');
      const pods = store
        .list(DEPLOYMENTS, namespace)
        .flatMap((deployment) => controller.podsOf(deployment))
        .filter((pod) => matchesSelector(isRecord(pod.metadata) ? pod.metadata.labels : undefined, selector));
      send(res, 200, { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: store.resourceVersion() }, items: pods });
    }),
  );

  /** The pod of that name now, with its Deployment and containers; null when there is none. */
  const podNamed = (namespace: string, name: string) => {
    for (const deployment of store.list(DEPLOYMENTS, namespace)) {
      const pod = controller.podsOf(deployment).find((p) => isRecord(p.metadata) && p.metadata.name === name);
      if (!pod) continue;
      const containers =
        isRecord(pod.spec) && Array.isArray(pod.spec.containers) ? pod.spec.containers.filter(isRecord).map((c) => String(c.name)) : [];
      return { namespace, name, deployment: deployment.metadata.name, containers };
    }
    return null;
  };
  router.get(
    '/api/v1/namespaces/:namespace/pods/:name/log',
    handle((req, res) => {
      const namespace = pathParam(req, 'namespace');
      const name = pathParam(req, 'name');
      const refused = podLogs.serve(req, res, podNamed(namespace, name), name, () => podNamed(namespace, name) !== null);
      if (refused) send(res, refused.code ?? 500, refused);
    }),
  );

  const server = await startFakeServer(
    {
      peer: 'kubernetes',
      routes: router,
      // Unknown routes, malformed JSON and scripted failures answer a Status too, as the API server does.
      errorBody: (status, message) => failureStatus(status, status === 404 ? 'the server could not find the requested resource' : message),
    },
    options,
  );

  return {
    ...server,
    object: (resource, namespace, name) => {
      const found = store.get(TYPES[resource], namespace, name);
      return found ? clone(found) : undefined;
    },
    objects: (resource, namespace) => store.list(TYPES[resource], namespace).map((object) => clone(object)),
    seed: (resource, namespace, body) => {
      const type = TYPES[resource];
      const checked = checkWrite(type, namespace, body, undefined);
      const created = store.create(type, namespace, checked);
      if (type === DEPLOYMENTS) controller.changed(created);
      return clone(created);
    },
    setReadyDelay: (ms) => controller.setReadyDelay(ms),
    setPodsWaiting: (waiting) => controller.setPodsWaiting(waiting),
    addNamespace: (namespace) => store.addNamespace(namespace),
    remove: (resource, namespace, name) => {
      const found = store.get(TYPES[resource], namespace, name);
      if (found) store.remove(TYPES[resource], found);
    },
    endWatches: () => watches.endAll(),
    compact: () => store.compact(),
    openWatches: () => watches.count,
    appendPodLog: (namespace, deployment, container, line) => podLogs.append(namespace, deployment, container, line),
    close: async () => {
      controller.stop();
      watches.endAll();
      podLogs.endAll();
      await server.close();
    },
  };
}
