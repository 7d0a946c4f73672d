/** Timeline numbering: `since` and `next` count the entries dropped past the limit, so a follower never re-reads or skips. */
import { appendTimeline, initialState, TIMELINE_LIMIT, timelineSince } from '../../workflows/instance-state';
import type { ServiceInstanceInput } from '../../workflows/model/input';

function stateWith(entries: number) {
  const input: ServiceInstanceInput = {
    uuid: '2f6d0a1e-5c8b-4d53-9b8e-1f1d1c0e4a77',
    service: { name: 'web', exec: 'img', exec_type: 'docker', exec_ports: [], category: 0, num_agents: 1, agent_type: 'normal' },
    user: 'alice',
    slaTemplate: null,
    agents: [],
    device: { id: 'dev', ip: '127.0.0.1' },
    settings: { agentTimeoutMs: 1000, allOrNothing: false },
  };
  const state = initialState(input, '2026-11-26T00:00:00.000Z');
  for (let i = 0; i < entries; i += 1)
    appendTimeline(state, { at: '2026-11-26T00:00:00.000Z', step: 'deploy', outcome: 'info', message: `entry ${i}` });
  return state;
}

test('from 0: every kept entry, and next is the count so far', () => {
  const page = timelineSince(stateWith(3), 0, false);
  expect(page.entries.map((e) => e.message)).toEqual(['entry 0', 'entry 1', 'entry 2']);
  expect(page.next).toBe(3);
});

test('from next: nothing until a new entry, then only it', () => {
  const state = stateWith(3);
  expect(timelineSince(state, 3, false)).toEqual({ entries: [], next: 3, status: 'created-not-initialized', ended: false });
  appendTimeline(state, { at: '2026-11-26T00:00:01.000Z', step: 'stop', outcome: 'ok', message: 'entry 3' });
  state.instance.status = 'stopped';
  expect(timelineSince(state, 3, false)).toEqual({
    entries: [expect.objectContaining({ message: 'entry 3' })],
    next: 4,
    status: 'stopped',
    ended: false,
  });
});

test('past the limit: numbers keep counting the dropped entries; asking for dropped ones gives what is kept', () => {
  const state = stateWith(TIMELINE_LIMIT + 10);
  expect(timelineSince(state, TIMELINE_LIMIT + 8, false).entries.map((e) => e.message)).toEqual([
    `entry ${TIMELINE_LIMIT + 8}`,
    `entry ${TIMELINE_LIMIT + 9}`,
  ]);
  const all = timelineSince(state, 0, false);
  expect(all.entries).toHaveLength(TIMELINE_LIMIT);
  expect(all.entries[0].message).toBe('entry 10');
  expect(all.next).toBe(TIMELINE_LIMIT + 10);
});

test('ended: when the workflow says so, and whenever the instance is terminated', () => {
  const state = stateWith(2);
  expect(timelineSince(state, 0, false).ended).toBe(false);
  expect(timelineSince(state, 0, true).ended).toBe(true);
  state.instance.status = 'terminated';
  expect(timelineSince(state, 0, false).ended).toBe(true);
});
