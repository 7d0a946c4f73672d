/**
 * Fake Service Manager QoS provider (spec/mf2c-peers.md §2.1). Always HTTP 200: the outcome is the `status`
 * field of the envelope. Like the real SM it reads the service instance from CIMI (so the LM must write
 * it there first), and echoes only `device_id` and `allow` per agent.
 */
import express, { type Request, type Response } from 'express';
import { type FakeServer, type FakeServerOptions, startFakeServer } from './fake-server';
import { pathParam } from './http-params';
import { clone, isRecord, type JsonObject } from './json-values';

/** What the SM needs from CIMI; a FakeCimi fits. */
export interface CimiReader {
  get(id: string): JsonObject | undefined;
}

/** ok: status 200; not-found: status 404; error: status 400 (an exception inside the SM). */
export type QosOutcome = 'ok' | 'not-found' | 'error';

export interface FakeServiceManagerOptions extends FakeServerOptions {
  /** Read instances (and their service) from this CIMI, as the real SM does. */
  cimi?: CimiReader;
  /** Scripted instances, used before CIMI. */
  instances?: JsonObject[];
  /** Older SM versions answer 404 "agreement not found" unless the instance's agreement is in CIMI. */
  checkAgreement?: boolean;
}

export interface FakeServiceManager extends FakeServer {
  setInstance(instance: JsonObject): void;
  /** Forces the `allow` flag answered for a device; undefined restores the stored value. */
  setAllow(deviceId: string, allow: boolean | undefined): void;
  setOutcome(outcome: QosOutcome, message?: string): void;
}

const ROOT = '/api';

export async function startFakeServiceManager(options: FakeServiceManagerOptions = {}): Promise<FakeServiceManager> {
  const scripted = new Map<string, JsonObject>();
  for (const instance of options.instances ?? []) scripted.set(String(instance.id), clone(instance));
  const allowOverrides = new Map<string, boolean>();
  let outcome: QosOutcome = 'ok';
  let outcomeMessage: string | undefined;

  // Field order and null-omission of the SM's Jackson `Response`.
  const reply = (res: Response, id: string, status: number, message: string, instance?: JsonObject): void => {
    const body: JsonObject = { id, message, 'resource-id': ROOT, status };
    if (instance) body['service-instance'] = instance;
    res.status(200).json(body);
  };

  const lookup = (id: string): { instance?: JsonObject; missing?: string } => {
    const instance = scripted.get(id) ?? options.cimi?.get(id);
    if (!instance) return { missing: 'service-instance not found' };
    if (!scripted.has(id) && options.cimi) {
      if (options.checkAgreement && !options.cimi.get(String(instance.agreement))) return { missing: 'agreement not found' };
      if (!options.cimi.get(String(instance.service))) return { missing: 'service not found' };
    }
    return { instance };
  };

  const router = express.Router();
  router.get(`${ROOT}/service-instance/:uuid`, (req: Request, res: Response) => {
    const id = `service-instance/${pathParam(req, 'uuid')}`;
    if (outcome === 'error') return reply(res, id, 400, outcomeMessage ?? 'Bad Request');
    if (outcome === 'not-found') return reply(res, id, 404, outcomeMessage ?? 'service-instance not found');
    const { instance, missing } = lookup(id);
    if (!instance) return reply(res, id, 404, missing ?? 'Not Found');
    reply(res, id, 200, 'OK', qosView(instance, allowOverrides));
  });

  const server = await startFakeServer(
    { peer: 'service-manager', routes: router, errorBody: (status, message) => ({ message, 'resource-id': ROOT, status }) },
    options,
  );
  return {
    ...server,
    setInstance: (instance) => void scripted.set(String(instance.id), clone(instance)),
    setAllow: (deviceId, allow) => {
      if (allow === undefined) allowOverrides.delete(deviceId);
      else allowOverrides.set(deviceId, allow);
    },
    setOutcome: (next, message) => {
      outcome = next;
      outcomeMessage = message;
    },
  };
}

/** The SM's model: a few instance fields, and per agent only device_id and a primitive `allow` (false if absent). */
function qosView(instance: JsonObject, overrides: ReadonlyMap<string, boolean>): JsonObject {
  const view: JsonObject = {};
  for (const key of ['id', 'service', 'status', 'agreement']) {
    if (instance[key] !== undefined && instance[key] !== null) view[key] = instance[key];
  }
  const agents = Array.isArray(instance.agents) ? instance.agents : [];
  view.agents = agents.filter(isRecord).map((agent) => {
    const deviceId = typeof agent.device_id === 'string' ? agent.device_id : undefined;
    const stored = agent.allow === true;
    return {
      ...(deviceId === undefined ? {} : { device_id: deviceId }),
      allow: deviceId !== undefined && overrides.has(deviceId) ? overrides.get(deviceId) === true : stored,
    };
  });
  return view;
}
