/**
 * Submit in mF2C mode (spec/original-lm.md §8.1, DESIGN §7): the service comes inline or from CIMI, the
 * user from the body, else User Management, else ADMIN; CIMI creates the `service-instance` resource first
 * (`created-not-initialized`) and its id becomes the workflow's. A request forwarded by a child LM carries
 * `service_instance_id`: that instance is reused. The answer waits until the workflow has chosen its agents,
 * because the original answers a forward to the leader differently from a deployment.
 */
import type { Response } from 'express';
import { initialState } from '../workflows/instance-state';
import type { ServiceInstanceInput } from '../workflows/model/input';
import { instanceIdOf, uuidOf, type ServiceInstance } from '../workflows/model/instance';
import type { CimiAgentInfo, SelectionOutcome } from '../workflows/model/peers';
import { isContainerExecType, type Service } from '../workflows/model/service';
import { cimiInstanceDocument } from '../activities/peers/cimi-instance-document';
import type { CimiClient } from '../activities/peers/cimi';
import { ApiError, badRequest, notFound, notImplemented, unavailable } from './api-error';
import type { ApiContext } from './api-context';
import { composeSubmitProblem } from './compose-precheck';
import { describeZodError } from './error-mapping';
import { askPeer } from './peer-errors';
import type { PeerClients } from './peer-clients';
import { ServiceSchema } from './schemas/service.schema';
import type { SubmitBody } from './schemas/submit.schema';
import { DEFAULT_USER, workflowSettings } from './submission';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The child LM's CIMI may reach the leader's a little later (the original waited up to 60 s in the handler). */
const FORWARDED_LOOKUPS = 5;
const FORWARDED_LOOKUP_EVERY_MS = 1_000;

function requireCimi(peers: PeerClients): CimiClient {
  if (peers.cimi === null) throw notImplemented('mF2C mode needs CIMI: set CIMI_URL');
  return peers.cimi;
}

async function serviceOf(body: SubmitBody, cimi: CimiClient): Promise<Service> {
  if (body.service) return body.service;
  const serviceId = body.service_id ?? '';
  const found = await askPeer(`reading service ${serviceId} from CIMI`, () => cimi.service(serviceId));
  if (found === null) throw notFound(`service ${serviceId} not found in CIMI; check the id (service/<uuid>)`);
  const parsed = ServiceSchema.safeParse(found);
  if (!parsed.success) throw badRequest(describeZodError(parsed.error, `service ${serviceId} from CIMI`));
  return parsed.data;
}

/** `user_id` of the body, else UM's current user, else ADMIN (a UM that does not answer is not fatal). */
async function userOf(body: SubmitBody, peers: PeerClients): Promise<string> {
  if (body.user_id) return body.user_id;
  if (peers.userManagement === null) return DEFAULT_USER;
  try {
    return (await peers.userManagement.currentUser()) ?? DEFAULT_USER;
  } catch {
    return DEFAULT_USER;
  }
}

async function agentOf(cimi: CimiClient, hostIp: string): Promise<CimiAgentInfo> {
  const agent = await askPeer('reading this agent from CIMI', () => cimi.agentInfo());
  return { deviceId: agent?.deviceId ?? 'not-defined', deviceIp: agent?.deviceIp || hostIp, leaderIp: agent?.leaderIp ?? null };
}

/** The forwarded instance must be in our CIMI (synchronised from the child's) before we take it over. */
async function existingInstance(cimi: CimiClient, instanceId: string): Promise<string> {
  const uuid = uuidOf(instanceId);
  if (!UUID.test(uuid)) throw badRequest(`service_instance_id "${instanceId}" is not a service-instance id (service-instance/<uuid>)`);
  for (let attempt = 1; ; attempt += 1) {
    if ((await askPeer(`reading ${instanceId} from CIMI`, () => cimi.serviceInstance(instanceId))) !== null) return uuid.toLowerCase();
    if (attempt >= FORWARDED_LOOKUPS)
      throw notFound(`service instance ${instanceId} is not in this agent's CIMI; forward it again once CIMI has it`);
    await new Promise((resolve) => setTimeout(resolve, FORWARDED_LOOKUP_EVERY_MS));
  }
}

/** Everything up to the instance workflow's start: the service, the user, the CIMI resource; returns its uuid. */
async function startInstance(context: ApiContext & { peers: PeerClients }, body: SubmitBody): Promise<string> {
  const { config, gateway, dockerProbe, supportedExecTypes, peers } = context;
  const cimi = requireCimi(peers);
  const service = await serviceOf(body, cimi);
  if (!supportedExecTypes.includes(service.exec_type)) {
    throw notImplemented(`exec_type "${service.exec_type}" is not supported by this LM yet; supported: ${supportedExecTypes.join(', ')}`);
  }
  const [user, agent] = await Promise.all([userOf(body, peers), agentOf(cimi, config.hostIp)]);
  const draft: ServiceInstanceInput = {
    uuid: '',
    service,
    user,
    slaTemplate: body.sla_template ?? null,
    agents: (body.agents_list ?? []).map((a) => ({ agent_ip: a.agent_ip })),
    device: { id: agent.deviceId, ip: agent.deviceIp },
    settings: workflowSettings(config, body),
    peers: { cimi: true, sla: config.peers.slaManager !== null, userManagement: config.peers.userManagement !== null },
    mf2c: { recommend: body.agents_list === undefined, myIp: agent.deviceIp, leaderIp: agent.leaderIp, lmPort: config.port },
  };
  if (isContainerExecType(service.exec_type) && draft.agents.some((a) => a.agent_ip === config.hostIp)) {
    const problem = await dockerProbe.problem();
    if (problem !== null)
      throw unavailable(`the Docker engine at ${dockerProbe.socket} is not reachable (${problem}): start dockerd or fix DOCKER_SOCKET`);
  }

  const forwarded = body.service_instance_id !== undefined;
  let uuid: string;
  if (body.service_instance_id !== undefined) {
    uuid = await existingInstance(cimi, body.service_instance_id);
  } else {
    const document = cimiInstanceDocument(initialState(draft, new Date().toISOString()).instance);
    const id = await askPeer('creating the service-instance in CIMI', () => cimi.createServiceInstance(document));
    uuid = uuidOf(id).toLowerCase();
    if (!UUID.test(uuid)) throw new ApiError(502, `CIMI named the new instance "${id}", not service-instance/<uuid>`);
  }
  const input: ServiceInstanceInput = { ...draft, uuid };
  const instanceId = instanceIdOf(uuid);
  try {
    const composeProblem = forwarded ? null : await composeSubmitProblem(service, uuid, config);
    if (composeProblem !== null) throw badRequest(composeProblem);
    // A repeated forward of the same instance joins the workflow the first one started.
    await gateway.start(input, forwarded);
  } catch (err) {
    if (!forwarded) await cimi.deleteServiceInstance(instanceId).catch(() => undefined);
    throw err;
  }

  return uuid;
}

/** The answer once the instance runs here, for a first submit and for a repeated one alike. */
async function answerDeployed(
  reads: ApiContext['reads'],
  uuid: string,
  wait: boolean,
  res: Response,
  known?: ServiceInstance,
): Promise<void> {
  const instanceId = instanceIdOf(uuid);
  if (!wait) {
    const instance = known ?? (await reads.get(uuid));
    res.json({ error: false, message: `Service deployment operation is being processed [${instanceId}]...`, service_instance: instance });
    return;
  }
  const { instance, settled } = await reads.waitUntilSettled(uuid);
  res.status(settled ? 200 : 202).json({
    error: false,
    message: settled ? `Service deployed: the instance is ${instance.status}` : `Service deployment is still in progress [${instanceId}]`,
    service_instance: instance,
  });
}

/** With an Idempotency-Key, a repeated submit answers with the instance the first one made (no second CIMI resource). */
async function answerRepeated(reads: ApiContext['reads'], uuid: string, wait: boolean, res: Response): Promise<void> {
  const instance = await reads.get(uuid);
  const instanceId = instanceIdOf(uuid);
  if (instance.status === 'forwarded') {
    res.json({
      error: false,
      message: `the request was forwarded to the leader's LM, which runs ${instanceId}`,
      service_instance_id: instanceId,
    });
    return;
  }
  await answerDeployed(reads, uuid, wait, res, instance);
}

export async function submitInMf2c(
  context: ApiContext & { peers: PeerClients },
  body: SubmitBody,
  wait: boolean,
  res: Response,
  idempotencyKey?: string,
): Promise<void> {
  const { gateway, reads, claims } = context;
  // A forward from a child LM is idempotent already: it names its instance.
  const key = body.service_instance_id === undefined ? idempotencyKey : undefined;
  if (key !== undefined) {
    const claim = await claims.claim(key);
    if (!claim.claimed) {
      await answerRepeated(reads, claim.uuid, wait, res);
      return;
    }
  }
  let uuid: string;
  try {
    uuid = await startInstance(context, body);
  } catch (err) {
    if (key !== undefined) await claims.abandon(key, err instanceof Error ? err.message : String(err));
    throw err;
  }
  const instanceId = instanceIdOf(uuid);
  let selection: SelectionOutcome;
  try {
    selection = await gateway.awaitSelection(uuid);
  } catch (err) {
    // The instance exists whatever happened to this answer: a retry must find it.
    if (key !== undefined) await claims.resolve(key, uuid);
    throw err;
  }
  if (key !== undefined) {
    // A placement that failed left nothing behind (its CIMI record is deleted): a retry may try again.
    if (selection.outcome === 'failed') await claims.abandon(key, selection.message);
    else await claims.resolve(key, uuid);
  }
  if (selection.outcome === 'forwarded') {
    res.json({ error: false, message: selection.message, service_instance_id: instanceId });
    return;
  }
  if (selection.outcome === 'failed') {
    res.status(503).json({ error: true, message: selection.message, service_instance_id: instanceId });
    return;
  }
  await answerDeployed(reads, uuid, wait, res);
}
