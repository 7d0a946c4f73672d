/**
 * A terminate that cannot reach an agent is incomplete, and is tried again (real Temporal, real Docker, the
 * agent a real worker process that is killed and started again): by the user's next DELETE, which the instance
 * refused before, and for an expired instance by the instance itself, with a growing wait. A step nobody takes
 * while the agent's LM may still be alive (its presence poller is listed) is queued again, so a terminate is
 * incomplete once the agent counts as lost: LM_AGENT_LOST_S is short here (2 s) and the agent is
 * announced lost before its steps give up.
 */
import type { TimelineEntry } from '../../workflows/model/instance';
import { getInstance, submit, untilTerminated } from '../support/api-calls';
import { containersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { startLm, type LmHarness } from '../support/lm-harness';
import { startWorkerProcess, type LmProcess } from '../support/lm-process';

let lm: LmHarness;
let agent: LmProcess | null = null;
// An agent of its own per run: no other suite's worker serves its queue.
const AGENT_IP = `10.78.${process.pid % 250}.${Math.floor(Math.random() * 250) + 1}`;

beforeAll(async () => {
  lm = await startLm({ LM_AGENT_TIMEOUT_S: '3', LM_EXPIRY_RETRY_S: '2', LM_AGENT_LOST_S: '2' });
});

afterAll(async () => {
  await agent?.kill('SIGTERM');
  await lm?.stop();
});

/** One agent process at a time: a second one left running would serve the queue the test takes away. */
async function startAgent(): Promise<void> {
  await agent?.kill('SIGKILL');
  agent = startWorkerProcess({
    TEMPORAL_ADDRESS: lm.config.temporal.address,
    HOST_IP: AGENT_IP,
    STANDALONE_MODE: 'True',
    LM_AGENT_LOST_S: '2',
  });
}

async function timeline(uuid: string): Promise<TimelineEntry[]> {
  return (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline as TimelineEntry[];
}

test('a DELETE that could not reach the agent can be sent again, and removes the container once the agent is back', async () => {
  await startAgent();
  const { uuid, instance } = await submit(lm.api, { agents: [AGENT_IP] });
  lm.made.push(uuid);
  expect(instance.status).toBe('started');
  await agent?.kill('SIGKILL');

  const first = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(first.status).toBe(200);
  expect(first.data.service_instance.status).not.toBe('terminated');
  expect(first.data.service_instance.agents[0].error).toMatch(/no LM worker took the task from queue lm-agent-10\.78\./);
  expect(await containersOf(uuid)).toHaveLength(1);
  expect((await timeline(uuid)).at(-1)).toMatchObject({
    step: 'terminate',
    outcome: 'failed',
    message: expect.stringMatching(/DELETE the instance again/),
  });

  await startAgent();
  const again = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(again.status).toBe(200);
  // Terminated by this DELETE, or, if it came before the agent was announced back, by that announcement.
  await untilTerminated(lm.api, uuid);
  expect(await containersOf(uuid)).toHaveLength(0);
}, 120_000);

test('an expired instance whose terminate is incomplete tries again, waiting longer each time, until it is terminated', async () => {
  await startAgent();
  // Long enough for a slow machine to deploy and start before it, so the agent is away when it comes.
  const { uuid, instance } = await submit(lm.api, { agents: [AGENT_IP], extra: { expires_in: 10 } });
  lm.made.push(uuid);
  await agent?.kill('SIGKILL');
  expect(Date.now()).toBeLessThan(Date.parse(instance.expires_at ?? ''));

  const retries = await eventually(
    'two incomplete terminates at expiry',
    async () => {
      const waits = (await timeline(uuid)).filter((e) => e.step === 'expire' && /incomplete: trying again in/.test(e.message ?? ''));
      return waits.length >= 2 ? waits.map((e) => Number(/in (\d+) s/.exec(e.message ?? '')?.[1])) : undefined;
    },
    60_000,
    250,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}\ntimeline:\n${(await timeline(uuid)).map((e) => `${e.step} ${e.outcome} ${e.message}`).join('\n')}`);
  });
  expect(retries.slice(0, 2)).toEqual([2, 4]);
  expect(await containersOf(uuid)).toHaveLength(1);

  await startAgent();
  await eventually(
    'terminated by a later attempt',
    async () => ((await getInstance(lm.api, uuid)).status === 'terminated' ? true : undefined),
    60_000,
    250,
  );
  expect(await containersOf(uuid)).toHaveLength(0);
  const expiries = (await timeline(uuid)).filter((e) => e.step === 'expire').map((e) => e.message ?? '');
  // Tried again at least once by the instance itself; the last attempt may be the agent's return finishing it.
  expect(expiries.filter((m) => /terminating it again \(attempt \d+\)/.test(m)).length).toBeGreaterThanOrEqual(1);
}, 180_000);
