/** The one pure function that derives an instance's status from its agents, over every combination. */
import { AGENT_STATUSES, deriveInstanceStatus, type AgentStatus, type InstanceStatus } from '../../workflows/model/status';

const RUNNING: AgentStatus[] = ['started'];
const IDLE: AgentStatus[] = ['stopped', 'waiting'];
const GONE: AgentStatus[] = ['terminated'];
const UNKNOWN: AgentStatus[] = ['unknown'];
const FAILED = AGENT_STATUSES.filter((s) => ![...RUNNING, ...IDLE, ...GONE, ...UNKNOWN].includes(s));

/** Every multiset of agent statuses with 1..maxSize members. */
function combinations(maxSize: number): AgentStatus[][] {
  const out: AgentStatus[][] = [];
  const walk = (start: number, current: AgentStatus[]) => {
    if (current.length > 0) out.push([...current]);
    if (current.length === maxSize) return;
    for (let i = start; i < AGENT_STATUSES.length; i += 1) walk(i, [...current, AGENT_STATUSES[i]]);
  };
  walk(0, []);
  return out;
}

describe('deriveInstanceStatus', () => {
  test('an instance without agents is in error', () => {
    expect(deriveInstanceStatus([])).toBe('error');
  });

  test.each<[AgentStatus, InstanceStatus]>([
    ['started', 'started'],
    ['stopped', 'stopped'],
    ['waiting', 'stopped'],
    ['terminated', 'terminated'],
    ['created-not-initialized', 'error'],
    ['not-deployed', 'error'],
    ['error-starting', 'error'],
    ['error-stopping', 'error'],
    ['error', 'error'],
    ['unknown', 'degraded'],
  ])('one agent %s → %s', (agent, expected) => {
    expect(deriveInstanceStatus([agent])).toBe(expected);
  });

  const all = combinations(3);

  test('covers every combination of up to three agents', () => {
    // 10 statuses: C(10,1) + C(11,2) + C(12,3) multisets.
    expect(all).toHaveLength(10 + 55 + 220);
  });

  test.each(all.map((c) => [c.join(','), c] as const))('%s', (_name, agents) => {
    const status = deriveInstanceStatus(agents);
    const count = (group: AgentStatus[]) => agents.filter((a) => group.includes(a)).length;
    const running = count(RUNNING);
    const idle = count(IDLE);
    const gone = count(GONE);
    const failed = count(FAILED);
    const unknown = count(UNKNOWN);
    const n = agents.length;

    // Never `started` unless every agent runs.
    expect(status === 'started').toBe(running === n);
    expect(status === 'terminated').toBe(gone === n);
    expect(status === 'stopped').toBe(idle === n);
    if (running > 0 && running < n) expect(status).toBe('degraded');
    if (running === 0 && idle > 0 && idle < n) expect(status).toBe('degraded');
    // An agent whose LM is lost may still run: degraded, never started, never error.
    if (unknown > 0) expect(status).toBe('degraded');
    if (running === 0 && idle === 0 && unknown === 0 && gone < n) expect(status).toBe('error');
    // The derived status is always a settled one.
    expect(['started', 'stopped', 'terminated', 'degraded', 'error']).toContain(status);
    expect(failed + running + idle + gone + unknown).toBe(n);
  });

  test('order of agents does not matter', () => {
    for (const agents of all) {
      expect(deriveInstanceStatus([...agents].reverse())).toBe(deriveInstanceStatus(agents));
    }
  });
});
