/**
 * User Management connector (spec/mf2c-peers.md §3): the policy check, the current user, the profile and
 * sharing model, and the `apps_running` counter the LM moves by ±1.
 */
import type { LmConfig } from '../../common/config';
import type { UmCheckVerdict } from '../../workflows/model/peers';
import { FailureType } from '../../workflows/model/failures';
import { failure } from '../failures';
import { answerText, callPeer, notConfigured } from './http-peer';

const PEER = 'User Management';
type Json = Record<string, unknown>;

function asJson(data: unknown): Json {
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Json) : {};
}

/** Reads `/check` or a remote LM's `check-agent-um` (same body); a missing `result` is not a verdict. */
export function umVerdict(data: unknown, where: string): UmCheckVerdict {
  const body = asJson(data);
  if (typeof body.result !== 'boolean') {
    throw failure(FailureType.PeerUnavailable, `${where} answered without a boolean "result": ${answerText(data)}`);
  }
  const sharing = asJson(body.sharing_model);
  const deviceId = typeof sharing.device_id === 'string' && sharing.device_id.trim() !== '' ? sharing.device_id : null;
  return { result: body.result, message: typeof body.message === 'string' ? body.message : '', deviceId };
}

export class UserManagementClient {
  constructor(
    private readonly base: string,
    private readonly timeoutMs: number,
  ) {}

  async check(): Promise<UmCheckVerdict & { sharingModel: Json }> {
    const { data } = await callPeer({ peer: PEER, method: 'get', url: `${this.base}/check`, timeoutMs: this.timeoutMs, idempotent: true });
    return { ...umVerdict(data, `${PEER} (${this.base}/check)`), sharingModel: asJson(asJson(data).sharing_model) };
  }

  /** The user of this device (the profile's owner), or null when UM has no profile. */
  async currentUser(): Promise<string | null> {
    const { data } = await callPeer({
      peer: PEER,
      method: 'get',
      url: `${this.base}/current/user`,
      timeoutMs: this.timeoutMs,
      idempotent: true,
    });
    const id = asJson(data).user_id;
    return typeof id === 'string' && id.trim() !== '' ? id : null;
  }

  async userProfile(): Promise<unknown> {
    const { data } = await callPeer({
      peer: PEER,
      method: 'get',
      url: `${this.base}/user-profile`,
      timeoutMs: this.timeoutMs,
      idempotent: true,
    });
    return asJson(data).user_profile ?? null;
  }

  async sharingModel(): Promise<unknown> {
    const { data } = await callPeer({
      peer: PEER,
      method: 'get',
      url: `${this.base}/sharing-model`,
      timeoutMs: this.timeoutMs,
      idempotent: true,
    });
    return asJson(data).sharing_model ?? null;
  }

  /**
   * `PUT /sharing-model {"apps_running": ±1}`: UM adds it to a counter on every receipt (it is NOT
   * idempotent, and UM offers no way to read the counter back). So this is sent as a non-idempotent call:
   * a failure that proves UM never got it (connection refused, or UM's own 5xx, raised before its handler's
   * last statement adds the delta) is PeerUnavailable and may be resent; anything ambiguous is
   * PeerOutcomeUnknown and is not. The workflow adds the rest of the exactly-once argument (see
   * workflows/mf2c/apps-running.ts). The key goes along for a UM that can deduplicate; today's UM ignores it.
   */
  async changeAppsRunning(delta: 1 | -1, idempotencyKey: string): Promise<void> {
    await callPeer({
      peer: PEER,
      method: 'put',
      url: `${this.base}/sharing-model`,
      body: { apps_running: delta },
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey },
      timeoutMs: this.timeoutMs,
      idempotent: false,
    });
  }
}

export function userManagementClient(config: LmConfig): UserManagementClient | null {
  const base = config.peers.userManagement;
  return base === null ? null : new UserManagementClient(base, config.httpTimeoutMs);
}

export function createUserManagementActivities(config: LmConfig) {
  const um = userManagementClient(config);
  const client = (): UserManagementClient => {
    if (um === null) throw notConfigured(PEER, 'URL_AC_USER_MANAGEMENT');
    return um;
  };
  return {
    async checkLocalUserManagement(): Promise<UmCheckVerdict> {
      const { result, message, deviceId } = await client().check();
      return { result, message, deviceId };
    },
    async changeAppsRunning(change: { delta: 1 | -1; key: string }): Promise<void> {
      await client().changeAppsRunning(change.delta, change.key);
    },
  };
}

export type UserManagementActivities = ReturnType<typeof createUserManagementActivities>;
