/**
 * A busy agent is not an absent one (real Temporal, real Docker): with its runtime-step slots full, a removal waits
 * in the agent's queue longer than LM_AGENT_TIMEOUT_S. Its LM still polls, so the step is queued again and says so;
 * the terminate ends `terminated` with nothing left, instead of leaving the agent `unknown` and the container on the
 * engine. Here the agent runs one step at a time and a deploy whose image pull hangs holds that one slot.
 */
import { getInstance, getTimeline, submit, untilTerminated } from '../support/api-calls';
import { containersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { startHangingRegistry, type HangingRegistry } from '../support/hanging-registry';
import { startLm, type LmHarness } from '../support/lm-harness';

let lm: LmHarness;
let registry: HangingRegistry;

beforeAll(async () => {
  registry = await startHangingRegistry();
  lm = await startLm({ LM_AGENT_ACTIVITY_SLOTS: '1', LM_AGENT_TIMEOUT_S: '2' });
});

afterAll(async () => {
  await lm?.stop();
  await registry?.close();
});

test('a removal that waits behind a full agent is queued again, and the terminate ends with nothing left', async () => {
  const { uuid: removed } = await submit(lm.api, { name: 'busy-removed' });
  lm.made.push(removed);
  expect(await containersOf(removed)).toHaveLength(1);
  // The agent's only slot: a deploy whose pull never ends.
  const { uuid: holder } = await submit(lm.api, { name: 'busy-holder', image: registry.image, wait: false });
  lm.made.push(holder);
  await eventually('the pull holds the slot', async () => (registry.manifestRequests() > 0 ? true : undefined), 30_000, 100);

  expect((await lm.api.delete(`/api/v2/lm/service-instances/${removed}`)).status).toBe(200);
  const note = await eventually(
    'the removal queued again, saying the agent is busy',
    async () => (await getTimeline(lm.api, removed)).find((e) => /^retrying remove on 127\.0\.0\.1: its LM is busy/.test(e.message ?? '')),
    30_000,
    250,
  );
  expect(note.message).toMatch(/waited 2 s in queue lm-agent-127\.0\.0\.1 \(LM_AGENT_TIMEOUT_S\) and is queued again/);
  const waiting = await getInstance(lm.api, removed);
  expect({ status: waiting.status, agent: waiting.agents[0].status }).toEqual({ status: 'terminating', agent: 'started' });

  // The slot frees (the hanging deploy is terminated too): both removals run.
  expect((await lm.api.delete(`/api/v2/lm/service-instances/${holder}`)).status).toBe(200);
  await untilTerminated(lm.api, removed);
  await untilTerminated(lm.api, holder);
  expect(await containersOf(removed)).toHaveLength(0);
  expect(await containersOf(holder)).toHaveLength(0);
  expect((await getTimeline(lm.api, removed)).filter((e) => e.outcome === 'failed')).toEqual([]);
}, 120_000);
