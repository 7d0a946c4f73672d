/**
 * Fake User Management (spec/mf2c-peers.md §3): policy check, current user, the in-memory `apps_running`
 * counter the LM moves by ±1, and a client that posts `um_warning` to an LM as the UM's assessment does.
 */
import { randomUUID } from 'node:crypto';
import axios from 'axios';
import express, { type Request, type Response } from 'express';
import { type FakeServer, type FakeServerOptions, startFakeServer } from './fake-server';
import { pathParam } from './http-params';
import { clone, isRecord, type JsonObject } from './json-values';

const PREFIX = '/api/v2/um';

export interface FakeUserManagementOptions extends FakeServerOptions {
  /** The current user's id (the profile owner); null: no profile. Default "testuser". */
  user?: string | null;
  /** `sharing_model.device_id` answered by /check; default a fresh `device/<uuid>`. */
  deviceId?: string;
  /** Default 100. */
  maxApps?: number;
  /** Initial counter; default 0. */
  appsRunning?: number;
  /** Default true. */
  resourceContributor?: boolean;
}

export interface FakeUserManagement extends FakeServer {
  appsRunning(): number;
  /** 'auto' (default) applies the UM rules; true/false forces the /check result. */
  setCheck(result: boolean | 'auto'): void;
  setSharingModelDeviceId(deviceId: string): void;
  setCurrentUser(user: string | null): void;
  setResourceContributor(value: boolean): void;
  setMaxApps(value: number): void;
}

/** UM's gen_response_ok: keys in order, so a later `message` would overwrite the first. */
function ok(message: string, extra: JsonObject): JsonObject {
  return { error: false, message, ...extra };
}

export async function startFakeUserManagement(options: FakeUserManagementOptions = {}): Promise<FakeUserManagement> {
  let user = options.user === undefined ? 'testuser' : options.user;
  let deviceId = options.deviceId ?? `device/${randomUUID()}`;
  let appsRunning = options.appsRunning ?? 0;
  let resourceContributor = options.resourceContributor ?? true;
  let forcedCheck: boolean | 'auto' = 'auto';
  const now = new Date().toISOString();
  const acl = (): JsonObject => ({
    owner: { principal: user ?? 'ADMIN', type: 'USER' },
    rules: [{ principal: 'ADMIN', type: 'ROLE', right: 'ALL' }],
  });
  const sharingModel: JsonObject = {
    id: `sharing-model/${randomUUID()}`,
    max_apps: options.maxApps ?? 100,
    battery_limit: 50,
    gps_allowed: true,
    max_cpu_usage: 50,
    max_memory_usage: 50,
    max_storage_usage: 50,
    max_bandwidth_usage: 50,
    created: now,
    updated: now,
    resourceURI: 'http://schemas.dmtf.org/cimi/2/SharingModel',
  };
  const profileId = `user-profile/${randomUUID()}`;
  const currentSharingModel = (): JsonObject => ({ ...clone(sharingModel), device_id: deviceId, acl: acl() });
  const currentProfile = (): JsonObject => ({
    id: profileId,
    device_id: deviceId,
    service_consumer: true,
    resource_contributor: resourceContributor,
    acl: acl(),
    created: now,
    updated: now,
    resourceURI: 'http://schemas.dmtf.org/cimi/2/UserProfile',
  });

  const router = express.Router();

  // Rules of usermgnt/modules/policies.py; battery is unknown here, which passes.
  router.get(`${PREFIX}/check`, (_req: Request, res: Response) => {
    const maxApps = Number(sharingModel.max_apps);
    const contributorOk = forcedCheck === 'auto' ? resourceContributor : forcedCheck;
    const appsOk = forcedCheck === 'auto' ? appsRunning < maxApps : true;
    if (contributorOk && appsOk) {
      return void res.json({
        error: false,
        message: 'ALLOWED: resource_contributor is set to TRUE; ',
        result: true,
        sharing_model: currentSharingModel(),
      });
    }
    const reasons = `${contributorOk ? '' : 'NOT ALLOWED: resource_contributor is set to FALSE; '}${appsOk ? '' : 'NOT ALLOWED: apps_running >= max_apps; '}`;
    res.json({ error: false, message: reasons, result: false, sharing_model: {} });
  });

  router.get(`${PREFIX}/current/:what`, (req: Request, res: Response) => {
    const what = pathParam(req, 'what');
    if (user === null) {
      return void res.json({ error: true, message: 'Warning: User profile not found', cause: 'not found / error', user: '' });
    }
    if (what === 'user') return void res.json(ok('User found', { user_profile: currentProfile(), user_id: user }));
    if (what === 'device') return void res.json(ok('Device found', { device: deviceId }));
    if (what === 'all') {
      return void res.json(ok('Info found', { info: { user_profile: currentProfile(), sharing_model: currentSharingModel(), agent: {} } }));
    }
    res.status(404).json({ error: true, message: `Warning: '${what}' not defined` });
  });

  router.get(`${PREFIX}/user-profile`, (_req: Request, res: Response) => {
    res.json(ok('User found', { user_profile: currentProfile() }));
  });
  router.get(`${PREFIX}/sharing-model`, (_req: Request, res: Response) => {
    res.json(ok('Sharing-model found', { sharing_model: currentSharingModel() }));
  });

  // The LM's ±1: added to an in-memory counter that never goes below 0; UM answers `null`.
  router.put(`${PREFIX}/sharing-model`, (req: Request, res: Response) => {
    const body: unknown = req.body;
    if (!isRecord(body) || typeof body.apps_running !== 'number') {
      return void res.status(400).json({ error: true, message: 'parameter not found: apps_running' });
    }
    appsRunning = Math.max(0, appsRunning + body.apps_running);
    res.status(200).json(null);
  });

  const server = await startFakeServer({ peer: 'user-management', routes: router }, options);
  return {
    ...server,
    appsRunning: () => appsRunning,
    setCheck: (result) => void (forcedCheck = result),
    setSharingModelDeviceId: (id) => void (deviceId = id),
    setCurrentUser: (next) => void (user = next),
    setResourceContributor: (value) => void (resourceContributor = value),
    setMaxApps: (value) => void (sharingModel.max_apps = value),
  };
}

export interface UmWarningData {
  user_id: string;
  device_id: string;
  user_profile: JsonObject;
  sharing_model: JsonObject;
  /** Only the violated keys appear. */
  result: Partial<Record<'battery_limit_violation' | 'max_apps_violation' | 'resource_contributor_violation', boolean>>;
}

/**
 * POSTs `{"type":"um_warning","data":…}` to an LM, like UM's assessment daemon (spec §3.3). `lmUrl` is UM's
 * URL_PM_LIFECYCLE (`http://host:46000/api/v2/lm`); a bare `http://host:port` gets `/api/v2/lm` appended.
 * Resolves with any HTTP answer; rejects only on network errors.
 */
export async function sendUmWarning(lmUrl: string, data: UmWarningData | JsonObject): Promise<{ status: number; body: unknown }> {
  const url = new URL(lmUrl);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/api/v2/lm';
  const response = await axios.post<unknown>(url.toString(), { type: 'um_warning', data }, { validateStatus: () => true });
  return { status: response.status, body: response.data };
}
