import { reconcileObserved } from '../../workflows/model/observed-drift';
import { AGENT_STATUSES, type AgentStatus } from '../../workflows/model/status';

const pairs: Array<[AgentStatus, AgentStatus]> = AGENT_STATUSES.flatMap((recorded) =>
  AGENT_STATUSES.map((observed): [AgentStatus, AgentStatus] => [recorded, observed]),
);

test.each(pairs)('recorded %s, observed %s', (recorded, observed) => {
  const change = reconcileObserved(recorded, observed, 'c1');
  if (observed === recorded || observed === 'unknown') {
    expect(change).toBeNull();
  } else if (recorded === 'unknown') {
    // Its agent was lost and is back: the runtime's answer is taken as it is.
    expect(change?.status).toBe(observed);
    expect(change?.error).toBe(observed === 'error' ? change?.message : null);
    expect(change?.message).toMatch(/^c1 is .* on the runtime now that its agent is back/);
  } else if (observed === 'started') {
    // Running is a fact whatever the LM recorded.
    expect(change).toEqual({
      status: 'started',
      error: null,
      message: `c1 is running on the runtime (recorded ${recorded}): the instance follows it`,
    });
  } else if (recorded === 'started' || ((recorded === 'stopped' || recorded === 'waiting') && observed === 'error')) {
    expect(change?.status).toBe('error');
    expect(change?.error).toBe(change?.message);
    expect(change?.error).toMatch(
      /^c1 is (not running|missing, failing or unhealthy|\S+) on the runtime although the LM (started|stopped) it .*: start or restart the instance, or terminate it$/,
    );
  } else {
    // Idle for idle, or a failure the LM already recorded: nothing new to say.
    expect(change).toBeNull();
  }
});

test('the message names what was found and what the LM had done', () => {
  expect(reconcileObserved('started', 'stopped', 'web')?.message).toMatch(/^web is not running on the runtime although the LM started it/);
  expect(reconcileObserved('started', 'error', 'web')?.message).toMatch(
    /^web is missing, failing or unhealthy on the runtime although the LM started it/,
  );
  expect(reconcileObserved('stopped', 'error', 'web')?.message).toMatch(
    /^web is missing, failing or unhealthy on the runtime although the LM stopped it/,
  );
});

test('an agent back from lost takes what its runtime reports', () => {
  expect(reconcileObserved('unknown', 'started', 'web')).toEqual({
    status: 'started',
    error: null,
    message: 'web is running on the runtime now that its agent is back',
  });
  expect(reconcileObserved('unknown', 'stopped', 'web')).toEqual({
    status: 'stopped',
    error: null,
    message: 'web is not running on the runtime now that its agent is back',
  });
  expect(reconcileObserved('unknown', 'error', 'web')?.error).toMatch(
    /^web is missing, failing or unhealthy on the runtime now that its agent is back/,
  );
});
