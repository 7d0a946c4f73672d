/**
 * The agent's dockerd itself stops for 30 s in the middle of deploying 10 instances and starts again (a private
 * engine of the test's own, with its own data root and bridge: the shared engine is never touched). Real
 * Temporal, in-process LM. While the engine is away the instances say they are retrying and why; once it is
 * back every step the outage caught is retried, and every container dockerd's restore left exited (20.10 does not
 * always bring back an unless-stopped container started shortly before it stopped) is started again by the LM: all
 * 10 instances end `started`, each with exactly one container, running, and the engine holds nothing else (no
 * duplicate from a create whose answer was lost, no container left behind by a remake).
 */
import type Docker from 'dockerode';
import { LABEL_INSTANCE } from '../../activities/runtime/labels';
import { uuidOf } from '../../workflows/model/instance';
import { getInstance, getTimeline, submit } from '../support/api-calls';
import { eventually } from '../support/eventually';
import type { LmHarness } from '../support/lm-harness';
import { startLmOnPrivateEngine, stopLmOnPrivateEngine } from '../support/lm-on-private-engine';
import type { PrivateEngine } from '../support/private-docker-engine';

const INSTANCES = 10;
const OUTAGE_MS = 30_000;
let engine: PrivateEngine;
let lm: LmHarness;

beforeAll(async () => {
  ({ engine, lm } = await startLmOnPrivateEngine('rs'));
}, 120_000);

afterAll(() => stopLmOnPrivateEngine({ engine, lm }), 120_000);

/** Every container on the private engine, LM-made or not: anything beyond one per instance is an orphan. */
const allContainers = (): Promise<Docker.ContainerInfo[]> => engine.docker.listContainers({ all: true });

const timelineOf = (uuid: string) => getTimeline(lm.api, uuid);

/** What a failing run needs to be understood: each instance's timeline, the engine's containers and log. */
async function explain(uuids: string[]): Promise<void> {
  for (const uuid of uuids) {
    const instance = await getInstance(lm.api, uuid);
    const timeline = await timelineOf(uuid);
    console.log(
      `${uuid} ${instance.status} ${JSON.stringify(instance.agents)}\n${timeline.map((e) => `${e.at} ${e.step} ${e.outcome} ${e.message}`).join('\n')}`,
    );
  }
  const containers = await allContainers().catch((err: unknown) => String(err));
  console.log(
    'containers:',
    JSON.stringify(
      typeof containers === 'string' ? containers : containers.map((c) => [c.Names, c.State, c.Status, c.Labels[LABEL_INSTANCE]]),
    ),
  );
  console.log('dockerd log:', engine.logTail(6000));
}

test('dockerd stopped for 30 s mid-deploy of 10 instances: the instances say so, then all 10 start, one container each', async () => {
  const uuids: string[] = [];
  for (let i = 0; i < INSTANCES; i += 1) uuids.push((await submit(lm.api, { name: `outage-${i}`, ports: [80], wait: false })).uuid);
  // Mid-deploy: some containers made, not every instance started.
  await eventually('the first containers made', async () => ((await allContainers()).length >= 2 ? true : undefined), 60_000, 50);
  const before = await Promise.all(uuids.map((uuid) => getInstance(lm.api, uuid)));
  await engine.stop();
  const stoppedAt = Date.now();
  expect(before.filter((instance) => instance.status === 'started').length).toBeLessThan(INSTANCES);

  try {
    // While the engine is away, an instance caught mid-deploy says what it retries and why, and is not failed.
    const unfinished = before.filter((instance) => instance.status !== 'started').map((instance) => uuidOf(instance.id));
    await eventually(
      'an instance showing the engine outage',
      async () => {
        for (const uuid of unfinished) {
          const timeline = await timelineOf(uuid);
          // Unreachable, or (caught in its start's minimum run time) its container stopped by the engine going down.
          const shown = timeline.find((e) =>
            /^retrying (deploy|start) on 127\.0\.0\.1: .*(the Docker engine at .* is not reachable|was stopped by the engine right after start)/.test(
              e.message ?? '',
            ),
          );
          if (shown !== undefined) return shown;
        }
        return undefined;
      },
      OUTAGE_MS - 5_000,
      500,
    );
    const during = await Promise.all(uuids.map((uuid) => getInstance(lm.api, uuid)));
    expect(during.filter((instance) => instance.status === 'error')).toEqual([]);
    expect(engine.running()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - (Date.now() - stoppedAt)));
    await engine.start();

    await eventually(
      'every instance started',
      async () => {
        const now = await Promise.all(uuids.map((uuid) => getInstance(lm.api, uuid)));
        return now.every((instance) => instance.status === 'started') ? now : undefined;
      },
      90_000,
      1_000,
    );
    // None lost, no orphan, none left exited: one running container per instance and nothing else.
    const containers = await eventually(
      'one running container per instance, nothing else',
      async () => {
        const now = await allContainers();
        return now.length === INSTANCES && now.every((c) => c.State === 'running') ? now : undefined;
      },
      60_000,
      500,
    );
    const startedAgain = await Promise.all(
      uuids.map(async (uuid) =>
        (await timelineOf(uuid)).some((e) => /^the engine restarted and left \S+ exited: started again/.test(e.message ?? '')),
      ),
    );
    console.log(
      `after the outage: the LM started again ${startedAgain.filter(Boolean).length} of ${INSTANCES} containers the restore left exited`,
    );
    const settled = await Promise.all(uuids.map((uuid) => getInstance(lm.api, uuid)));
    expect(settled.map((instance) => [uuidOf(instance.id), instance.status])).toEqual(uuids.map((uuid) => [uuid, 'started']));
    expect(containers.map((c) => c.Labels[LABEL_INSTANCE]).sort()).toEqual([...uuids].sort());
    for (const instance of settled) {
      expect(containers.find((c) => c.Id === instance.agents[0].container_id)?.Names).toEqual([`/${instance.agents[0].name}`]);
    }
  } catch (err) {
    await explain(uuids);
    throw err;
  }
}, 240_000);
