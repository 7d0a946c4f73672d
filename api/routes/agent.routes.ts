/**
 * This agent's endpoints, with the original's bodies (spec/original-lm.md §7.2 (4)–(8)): its configuration,
 * its user's profile and sharing model, the UM and swarm checks other LMs ask during selection, and the
 * container healthcheck. Deviation (DESIGN §6): a peer that does not answer is 503, never a framework 500.
 */
import type Docker from 'dockerode';
import { z } from 'zod';
import { swarmSupport } from '../../activities/agent-capabilities';
import { createDockerClient } from '../../activities/runtime/docker/docker-client';
import { unavailable } from '../api-error';
import type { ApiContext } from '../api-context';
import { LM_API_VERSION } from '../openapi-document';
import { askPeer } from '../peer-errors';
import type { PeerClients } from '../peer-clients';
import type { RouteBuilder } from '../route-builder';

const APP = 'Lifecycle Management REST API';
const SWARM_PROBE_TIMEOUT_MS = 5_000;

const AgentConfigResponse = z
  .looseObject({
    app: z.string(),
    name: z.string(),
    mode: z.enum(['MF2C', 'STANDALONE']),
    version: z.string(),
    host: z.string(),
    'device-identifier': z.string(),
    'device-ip-address': z.string(),
    'user-identifier': z.string(),
    properties: z.looseObject({}),
  })
  .meta({ id: 'AgentConfig' });
const AgentUmResponse = z
  .object({ 'device-id': z.string(), 'user-id': z.string(), 'user-profile': z.unknown(), 'sharing-model': z.unknown() })
  .meta({ id: 'AgentUserManagement' });
const CheckUmResponse = z.object({ message: z.string(), sharing_model: z.unknown(), result: z.boolean() }).meta({ id: 'AgentUmCheck' });
const CheckSwarmResponse = z
  .object({ 'device-id': z.string(), 'user-id': z.string(), message: z.string(), result: z.boolean() })
  .meta({ id: 'AgentSwarmCheck' });
const AliveResponse = z.object({ res: z.literal('ok') }).meta({ id: 'UmAlive' });

export function agentRoutes(routes: RouteBuilder, context: ApiContext & { peers: PeerClients }): void {
  const { config, peers } = context;
  const docker: Docker = createDockerClient(config.docker.socket, SWARM_PROBE_TIMEOUT_MS);
  const um = () => {
    if (peers.userManagement === null) throw unavailable('User Management is not configured: set URL_AC_USER_MANAGEMENT');
    return peers.userManagement;
  };

  routes.add(
    {
      method: 'get',
      paths: ['/api/v2/lm/agent-config'],
      summary: "This LM's configuration (mode, version, peer URLs)",
      tag: 'agent',
      access: 'client',
      responses: { 200: { description: "The configuration, in the original's shape", schema: AgentConfigResponse } },
    },
    async (_input, res) => {
      const agent = await peers.cimi?.agentInfo().catch(() => null);
      res.json({
        app: APP,
        name: APP,
        mode: config.mode === 'mf2c' ? 'MF2C' : 'STANDALONE',
        version: LM_API_VERSION,
        host: config.hostIp,
        'device-identifier': agent?.deviceId ?? 'not-defined',
        'device-ip-address': agent?.deviceIp || 'not-defined',
        'user-identifier': 'not-defined',
        properties: {
          'swarm-master': config.docker.swarm,
          'k8s-master': config.kubernetes.master,
          'cimi-url': config.cimi?.url ?? 'not-defined',
          mf2c: {
            'LIFECYCLE MANAGER': `http://${config.hostIp}:${config.port}/api/v2/lm`,
            'USER MANAGEMENT MODULE': config.peers.userManagement ?? 'not-defined',
            // The original's key, misspelled as it was: clients read it.
            RECOMENDER_LANDSCAPER: config.peers.recommender ?? 'not-defined',
            'SERVICE MANAGER': config.peers.serviceManager ?? 'not-defined',
            'SLA MANAGER': config.peers.slaManager ?? 'not-defined',
          },
        },
      });
    },
  );

  routes.add(
    {
      method: 'get',
      paths: ['/api/v2/lm/agent-um'],
      summary: "This agent's user profile and sharing model (mF2C: from CIMI; standalone: from User Management)",
      tag: 'agent',
      access: 'client',
      responses: {
        200: { description: 'Profile and sharing model (null when there is none)', schema: AgentUmResponse },
        503: { description: 'CIMI or User Management does not answer, or is not configured' },
      },
    },
    async (_input, res) => {
      let userProfile: unknown;
      let sharingModel: unknown;
      if (config.mode === 'mf2c' && peers.cimi !== null) {
        const cimi = peers.cimi;
        ({ userProfile, sharingModel } = await askPeer('reading the user profile from CIMI', () => cimi.agentUserManagement()));
      } else {
        const client = um();
        [userProfile, sharingModel] = await askPeer('reading the user profile from User Management', () =>
          Promise.all([client.userProfile(), client.sharingModel()]),
        );
      }
      res.json({
        'device-id': 'not-defined',
        'user-id': 'not-defined',
        'user-profile': userProfile ?? null,
        'sharing-model': sharingModel ?? null,
      });
    },
  );

  routes.add(
    {
      method: 'get',
      paths: ['/api/v2/lm/check-agent-um'],
      summary: "This agent's User Management policy check (other LMs ask it during agent selection)",
      tag: 'agent',
      access: 'internal',
      responses: {
        200: { description: "UM's verdict", schema: CheckUmResponse },
        503: { description: 'User Management does not answer (the original crashed with 500: bug C17); callers keep the agent' },
      },
    },
    async (_input, res) => {
      const client = um();
      const check = await askPeer('asking User Management /check', () => client.check());
      res.json({ message: check.message, sharing_model: check.sharingModel, result: check.result });
    },
  );

  routes.add(
    {
      method: 'get',
      paths: ['/api/v2/lm/check-agent-swarm'],
      summary: "Whether this agent's Docker engine is a swarm manager (other LMs ask it for docker-swarm services)",
      tag: 'agent',
      access: 'internal',
      responses: {
        200: {
          description: '"docker swarm supported", "docker swarm not supported" or "docker client error: …"',
          schema: CheckSwarmResponse,
        },
      },
    },
    async (_input, res) => {
      const swarm = await swarmSupport(docker, config.docker.socket, config.hostIp);
      res.json({ 'device-id': 'not-defined', 'user-id': 'not-defined', message: swarm.message, result: swarm.result });
    },
  );

  routes.add(
    {
      method: 'get',
      paths: ['/api/v2/lm/isumalive'],
      summary: 'Container healthcheck: does the local User Management answer /check?',
      tag: 'agent',
      access: 'client',
      responses: {
        200: { description: 'User Management answers', schema: AliveResponse },
        503: { description: 'It does not (the original answered 500)' },
      },
    },
    async (_input, res) => {
      const client = um();
      try {
        await client.check();
      } catch (err) {
        throw unavailable(`User Management is not alive: ${err instanceof Error ? err.message : String(err)}`);
      }
      res.json({ res: 'ok' });
    },
  );
}
