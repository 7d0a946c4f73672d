/**
 * Fake remote (original, Python) LM: the internal LM-to-LM API (spec/mf2c-peers.md §7, spec/original-lm.md
 * §7.2 (5)(6)(14)(15)(16)). Its `agent` fields are Python reprs, as callers of a real old LM must parse.
 * Deploys are simulated: no container runs, but ids, statuses and ports evolve like the real adapter's.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { type FakeServer, type FakeServerOptions, startFakeServer } from './fake-server';
import { clone, isRecord, type JsonObject } from './json-values';
import { toPythonLiteral } from '../../common/python-literal';

const PREFIX = '/api/v2/lm';
const COMPSS_PORT = 46100;
const FIRST_FREE_PORT = 20001;

/** auto: like the real adapters (docker-swarm and K8s answer `null`); ok / null / error force it. */
export type DeployOutcome = 'auto' | 'ok' | 'null' | 'error';

export interface FakePeerLmOptions extends FakeServerOptions {
  /** What /check-agent-um reports (the remote UM's verdict). Default allowed, no device id. */
  umCheck?: { result: boolean; deviceId?: string };
  /** Whether /check-agent-swarm reports a swarm manager. Default false. */
  swarm?: boolean;
  /** Answer `POST …/service-instance-int/status` as a new LM does; an original LM (the default) answers 404. */
  reportsStatus?: boolean;
}

export interface FakePeerLm extends FakeServer {
  setDeployOutcome(outcome: DeployOutcome): void;
  setUmCheck(check: { result: boolean; deviceId?: string }): void;
  setSwarm(manager: boolean): void;
  /** Simulated workloads by container id, with the agent as last reported. */
  containers(): Map<string, JsonObject>;
  /** What its runtime now reports for a workload (a crash behind the LM's back: `stopped`). */
  setWorkloadStatus(containerId: string, status: string): void;
}

const ok = (message: string, extra: JsonObject): JsonObject => ({ error: false, message, ...extra });
const ko = (message: string, extra: JsonObject = {}): JsonObject => ({ error: true, message, ...extra });
const containerId = (): string => randomBytes(32).toString('hex');

const OPERATIONS: Record<string, { message: string; status: string; failed: string }> = {
  start: { message: 'Start service', status: 'started', failed: 'error-starting' },
  restart: { message: 'Start service', status: 'started', failed: 'error-starting' },
  stop: { message: 'Stop service', status: 'stopped', failed: 'error-stopping' },
  terminate: { message: 'Terminate service', status: 'terminated', failed: 'terminated' },
};

export async function startFakePeerLm(options: FakePeerLmOptions = {}): Promise<FakePeerLm> {
  let deployOutcome: DeployOutcome = 'auto';
  let umCheck = options.umCheck ?? { result: true };
  let swarm = options.swarm ?? false;
  let nextPort = FIRST_FREE_PORT;
  const containers = new Map<string, JsonObject>();

  // The original's port rule (spec/original-lm.md §8.8): keep ports >= 10000, remap the others from 20001.
  const hostPorts = (ports: unknown, execType: unknown): number[] => {
    const list = Array.isArray(ports) ? ports.filter((p): p is number => typeof p === 'number') : [];
    const wanted = execType === 'compss' ? [COMPSS_PORT, ...list.filter((p) => p !== COMPSS_PORT)] : list;
    return wanted.map((p) => (p >= 10000 ? p : nextPort++));
  };

  const router = express.Router();

  router.get('/api/v2', (_req: Request, res: Response) => {
    res.json({ app: 'Lifecycle Management REST API', status: 'Running' });
  });

  router.post(`${PREFIX}/service-instance-int`, (req: Request, res: Response) => {
    const body: unknown = req.body;
    if (!isRecord(body) || !isRecord(body.service) || !isRecord(body.service_instance) || !isRecord(body.agent)) {
      return void res.status(406).json(ko('parameter not found: service / service_instance / agent'));
    }
    const { service, agent } = body;
    const execType = service.exec_type;
    const outcome =
      deployOutcome === 'auto' ? (['docker-swarm', 'K8s', 'kubernetes'].includes(String(execType)) ? 'null' : 'ok') : deployOutcome;
    if (outcome === 'null') return void res.status(200).json(null);
    if (outcome === 'error') {
      return void res
        .status(500)
        .json(ko('Exception: __deploy_docker_image()', { agent: toPythonLiteral(agent), service: toPythonLiteral(service) }));
    }
    const id = containerId();
    const deployed: JsonObject = {
      ...clone(agent),
      ports: hostPorts(agent.ports, execType),
      container_id: id,
      agent_param: execType === 'docker-compose' ? containerId() : '-',
      status: 'waiting',
    };
    containers.set(id, deployed);
    const message = execType === 'docker-compose-swarm' ? 'Deploy docker-compose-swarm service in agent' : 'Deploy service in agent';
    res.json(ok(message, { agent: toPythonLiteral(deployed), service: toPythonLiteral(service) }));
  });

  router.put(`${PREFIX}/service-instance-int`, (req: Request, res: Response) => {
    const body: unknown = req.body;
    if (!isRecord(body) || !isRecord(body.service) || typeof body.operation !== 'string' || !isRecord(body.agent)) {
      return void res.status(406).json(ko('parameter not found: agent / operation'));
    }
    const operation = OPERATIONS[body.operation];
    if (!operation) return void res.status(501).json(ko('operation not defined / implemented'));
    const id = String(body.agent.container_id);
    // Docker fails on a container it does not know; terminate still reports `terminated`.
    const status = containers.has(id) ? operation.status : operation.failed;
    const agent: JsonObject = { ...clone(body.agent), status };
    if (body.operation === 'terminate') containers.delete(id);
    else if (containers.has(id)) containers.set(id, agent);
    const extra: JsonObject = { agent: toPythonLiteral(agent) };
    if (body.operation === 'terminate') extra.status = status;
    res.json(ok(operation.message, extra));
  });

  if (options.reportsStatus === true) {
    router.post(`${PREFIX}/service-instance-int/status`, (req: Request, res: Response) => {
      const body: unknown = req.body;
      if (!isRecord(body) || !isRecord(body.service) || !isRecord(body.agent))
        return void res.status(400).json(ko('parameter not found: agent'));
      const known = containers.get(String(body.agent.container_id));
      // A workload the runtime does not know was removed behind the LM's back.
      res.json(ok('Agent status', { status: known === undefined ? 'error' : String(known.status) }));
    });
  }

  router.get(`${PREFIX}/check-agent-um`, (_req: Request, res: Response) => {
    const allowed = umCheck.result;
    res.json({
      message: allowed ? 'ALLOWED: resource_contributor is set to TRUE; ' : 'NOT ALLOWED: apps_running >= max_apps; ',
      sharing_model: allowed ? { device_id: umCheck.deviceId ?? '', max_apps: 100, battery_limit: 50 } : {},
      result: allowed,
    });
  });

  router.get(`${PREFIX}/check-agent-swarm`, (_req: Request, res: Response) => {
    res.json({
      'device-id': 'not-defined',
      'user-id': 'not-defined',
      message: swarm ? 'docker swarm supported' : 'docker swarm not supported',
      result: swarm,
    });
  });

  // Leader side of a forward (spec/original-lm.md §8.5): the instance id travels in the body.
  router.post(`${PREFIX}/service`, (req: Request, res: Response) => {
    const body: unknown = req.body;
    if (!isRecord(body) || (body.service === undefined && body.service_id === undefined)) {
      return void res.status(406).json(ko('parameter not found: service /  service_id'));
    }
    const instanceId = typeof body.service_instance_id === 'string' ? body.service_instance_id : `service-instance/${randomUUID()}`;
    res.json(
      ok(`Service deployment operation is being processed [${instanceId}]...`, {
        service_instance: { id: instanceId, service: body.service_id ?? null, status: 'deploying', agents: [] },
      }),
    );
  });

  // Notifications (um_warning from UM, qos_enforcement from SM), answered like the original handlers.
  router.post(PREFIX, (req: Request, res: Response) => {
    const body: unknown = req.body;
    if (!isRecord(body) || typeof body.type !== 'string' || body.data === undefined) {
      return void res.status(406).json(ko('parameter not found: type / data'));
    }
    const repr = toPythonLiteral(body.data);
    if (body.type === 'um_warning') return void res.json(ok('UM Warning is being processed...', { warning: repr }));
    if (body.type === 'sla_notification') return void res.json(ok('SLA Notification has been processed', { notification: repr }));
    if (body.type === 'qos_enforcement') {
      if (!isRecord(body.data) || body.data.num_agents === undefined || body.data.service_instance_id === undefined) {
        return void res
          .status(406)
          .json({ error: true, message: 'Error', 'parameter num_agents / service_instance_id not found in qos notification': repr });
      }
      return void res.json(ok('QoS Notification is being processed...', { notification: repr }));
    }
    res.status(501).json(ko('type not defined / implemented'));
  });

  const server = await startFakeServer({ peer: 'peer-lm', routes: router, errorBody: (_status, message) => ko(message) }, options);
  return {
    ...server,
    setDeployOutcome: (outcome) => void (deployOutcome = outcome),
    setUmCheck: (check) => void (umCheck = check),
    setSwarm: (manager) => void (swarm = manager),
    containers: () => new Map([...containers].map(([id, agent]) => [id, clone(agent)])),
    setWorkloadStatus: (id, status) => {
      const agent = containers.get(id);
      if (agent === undefined) throw new Error(`the fake LM has no workload ${id}`);
      containers.set(id, { ...agent, status });
    },
  };
}
