/** Standalone placement's rule: live agents offering the runtime, fewest live instances first, num_agents of them. */
import { agentsWanted, placeInstance, type PlacementCandidate } from '../../workflows/model/placement';
import { NUM_AGENTS_UNSPECIFIED } from '../../workflows/model/service';

const up = { available: true, message: 'Docker Engine 20.10' };
const down = { available: false, message: 'the Docker engine does not answer' };

function agent(ip: string, load: number, extra: Partial<PlacementCandidate> = {}): PlacementCandidate {
  return { ip, alive: true, reason: null, since: '2026-12-01T10:00:00Z', runtime: up, load, ...extra };
}

const UUID = '2f6d0a1e-5c8b-4d53-9b8e-1f1d1c0e4a77';

test('num_agents is honoured for docker and compss, one agent otherwise', () => {
  expect(agentsWanted('docker', NUM_AGENTS_UNSPECIFIED)).toBe(1);
  expect(agentsWanted('docker', 3)).toBe(3);
  expect(agentsWanted('compss', 2)).toBe(2);
  expect(agentsWanted('docker-swarm', 4)).toBe(1);
  expect(agentsWanted('kubernetes', 4)).toBe(1);
});

test('the agents with the fewest live instances are chosen; dead ones and those without the runtime never', () => {
  const candidates = [
    agent('10.0.0.1', 5),
    agent('10.0.0.2', 0, { alive: false, reason: 'no heartbeat for 30 s' }),
    agent('10.0.0.3', 1),
    agent('10.0.0.4', 0, { runtime: down }),
    agent('10.0.0.5', 2),
    agent('10.0.0.6', 0, { runtime: null }),
  ];
  const placement = placeInstance('docker', 2, candidates, UUID, '10.0.0.1');
  expect(placement.kind).toBe('placed');
  expect(placement.kind === 'placed' && placement.agents).toEqual(['10.0.0.3', '10.0.0.5']);
  const reasons = Object.fromEntries(placement.verdicts.map((v) => [v.ip, v.reason]));
  expect(reasons).toEqual({
    '10.0.0.1': 'not chosen: 5 live instances there; agents with fewer were',
    '10.0.0.2': 'not alive: no heartbeat for 30 s',
    '10.0.0.3': 'chosen: alive, offers docker, 1 live instance there',
    '10.0.0.4': 'does not offer docker: the Docker engine does not answer',
    '10.0.0.5': 'chosen: alive, offers docker, 2 live instances there',
    '10.0.0.6': 'its LM has not reported its runtimes yet',
  });
});

test('equal loads spread by instance: many instances over three idle agents use all three', () => {
  const candidates = [agent('10.0.0.1', 0), agent('10.0.0.2', 0), agent('10.0.0.3', 0)];
  const chosen = new Map<string, number>();
  for (let i = 0; i < 300; i += 1) {
    const placement = placeInstance('docker', 1, candidates, `uuid-${i}`, '10.0.0.1');
    if (placement.kind !== 'placed') throw new Error('not placed');
    chosen.set(placement.agents[0], (chosen.get(placement.agents[0]) ?? 0) + 1);
  }
  expect([...chosen.keys()].sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  for (const count of chosen.values()) expect(count).toBeGreaterThan(60);
  // The same instance is placed the same way every time.
  expect(placeInstance('docker', 1, candidates, UUID, '10.0.0.1')).toEqual(placeInstance('docker', 1, candidates, UUID, '10.0.0.1'));
});

test("with no live agent offering the runtime, one agent goes to this LM's own agent", () => {
  const placement = placeInstance(
    'docker',
    NUM_AGENTS_UNSPECIFIED,
    [agent('10.0.0.2', 0, { alive: false, reason: 'lost' })],
    UUID,
    '10.0.0.1',
  );
  expect(placement).toMatchObject({ kind: 'placed', agents: ['10.0.0.1'] });
  expect(placement.verdicts.find((v) => v.ip === '10.0.0.1')?.reason).toMatch(
    /no live agent offers docker: deploying on this LM's own agent/,
  );
});

test('more agents than are live is refused, naming each agent and why', () => {
  const placement = placeInstance(
    'docker',
    3,
    [agent('10.0.0.1', 0), agent('10.0.0.2', 0, { alive: false, reason: 'lost since 12:00' })],
    UUID,
    '10.0.0.1',
  );
  expect(placement.kind).toBe('not-enough');
  expect(placement.kind === 'not-enough' && placement.message).toMatch(
    /^num_agents 3 needs 3 live agents offering docker, the cluster has 1 \(10\.0\.0\.2: not alive: lost since 12:00\): start more agents/,
  );
});

test('a refusal names the reachable agents first, then those lost most recently, five at most', () => {
  const gone = Array.from({ length: 8 }, (_, i) =>
    agent(`10.0.1.${i}`, 0, { alive: false, reason: `lost ${i}`, since: `2026-12-0${i + 1}T00:00:00Z` }),
  );
  const placement = placeInstance('docker', 2, [...gone, agent('10.0.0.1', 0), agent('10.0.0.9', 0, { runtime: down })], UUID, '10.0.0.1');
  expect(placement.kind === 'not-enough' && placement.message).toMatch(
    /\(10\.0\.0\.9: does not offer docker: .*; 10\.0\.1\.7: not alive: lost 7; 10\.0\.1\.6: not alive: lost 6; 10\.0\.1\.5: .*; 10\.0\.1\.4: .*; 4 more: GET \/api\/v2\/lm\/agents\)/,
  );
});
