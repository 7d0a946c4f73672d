/**
 * The internal token goes only to agents this LM knows (CIMI's agents and devices, LM_PEER_AGENTS), never to a
 * host a client named in `agents_list` (real Temporal and Docker, fake original LMs on 127.0.0.x).
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { removeContainersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { startMf2cPeers, type Mf2cPeers } from '../support/mf2c-peers';
import { uuidOf } from '../../workflows/model/instance';

const TOKEN = 'internal-token-7c1d';
const STRANGER = '127.0.0.2';
const LISTED = '127.0.0.3';
const CIMI_CHILD = '127.0.0.4';
let peers: Mf2cPeers;
let lm: LmHarness;
const made: string[] = [];

beforeAll(async () => {
  peers = await startMf2cPeers({ peerLmIps: [STRANGER, LISTED, CIMI_CHILD] });
  const agentId = peers.cimi.list('agent')[0].id as string;
  const agent = peers.cimi.get(agentId) ?? {};
  peers.cimi.remove(agentId);
  peers.cimi.seed('agent', { ...agent, id: agentId, childrenIPs: [CIMI_CHILD] });
  lm = await startLm({ ...peers.lmEnv, LM_INTERNAL_TOKEN: TOKEN, LM_PEER_AGENTS: LISTED });
});

afterAll(async () => {
  await removeContainersOf(made);
  await lm?.stop();
  await peers?.closeAll();
});

test('agents_list naming three other agents: only the two this LM knows get Authorization', async () => {
  const response = await lm.api.post('/api/v2/lm/service', {
    service_id: peers.cimi.seeded!.service,
    agents_list: [{ agent_ip: STRANGER }, { agent_ip: LISTED }, { agent_ip: CIMI_CHILD }],
  });
  const id = (response.data.service_instance?.id ?? response.data.service_instance_id) as string | undefined;
  if (id) made.push(uuidOf(id));
  const checkOf = (ip: string) =>
    eventually(`check-agent-um on ${ip}`, async () => peers.peerLms.get(ip)?.callsTo('GET', '/api/v2/lm/check-agent-um')[0]);
  const [stranger, listed, child] = await Promise.all([checkOf(STRANGER), checkOf(LISTED), checkOf(CIMI_CHILD)]);
  expect({
    stranger: stranger.headers.authorization ?? 'none',
    listed: listed.headers.authorization ?? 'none',
    child: child.headers.authorization ?? 'none',
  }).toEqual({ stranger: 'none', listed: `Bearer ${TOKEN}`, child: `Bearer ${TOKEN}` });
  if (id) await lm.api.delete(`/api/v2/lm/service-instances/${uuidOf(id)}?wait=true`);
});
