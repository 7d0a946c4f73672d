/** The selection rule of spec/original-lm.md §8.4, by exec_type and num_agents. */
import { selectAgents } from '../../../workflows/model/agent-selection';

const LOCAL = '10.0.0.1';

test('compss: all agents without num_agents; only the local one for num_agents 1; the first n; else not enough', () => {
  expect(selectAgents('compss', -1, ['10.0.0.2', LOCAL], LOCAL)).toMatchObject({ kind: 'selected', agents: ['10.0.0.2', LOCAL] });
  expect(selectAgents('compss', 1, ['10.0.0.2', LOCAL], LOCAL)).toMatchObject({ kind: 'selected', agents: [LOCAL] });
  expect(selectAgents('compss', 1, ['10.0.0.2', '10.0.0.3'], LOCAL)).toMatchObject({ kind: 'selected', agents: ['10.0.0.2'] });
  expect(selectAgents('compss', 2, ['10.0.0.2', LOCAL, '10.0.0.3'], LOCAL)).toMatchObject({
    kind: 'selected',
    agents: ['10.0.0.2', LOCAL],
  });
  expect(selectAgents('compss', 3, ['10.0.0.2'], LOCAL)).toMatchObject({ kind: 'not-enough' });
});

test('docker: the first agent without num_agents, the first n with it, else not enough', () => {
  expect(selectAgents('docker', -1, ['a', 'b'], LOCAL)).toMatchObject({ kind: 'selected', agents: ['a'] });
  expect(selectAgents('docker', 2, ['a', 'b', 'c'], LOCAL)).toMatchObject({ kind: 'selected', agents: ['a', 'b'] });
  expect(selectAgents('docker', 3, ['a', 'b'], LOCAL)).toMatchObject({ kind: 'not-enough', rule: expect.stringContaining('needs 3') });
});

test('compose, swarm and kubernetes types take the first agent; an empty list is never enough', () => {
  for (const type of ['docker-compose', 'docker-swarm', 'docker-compose-swarm', 'kubernetes'] as const) {
    expect(selectAgents(type, 5, ['a', 'b'], LOCAL)).toMatchObject({ kind: 'selected', agents: ['a'] });
    expect(selectAgents(type, -1, [], LOCAL)).toMatchObject({ kind: 'not-enough' });
  }
});
