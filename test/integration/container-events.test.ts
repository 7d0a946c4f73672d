/**
 * The Docker event follower on the real engine: a labelled container's start, stop and removal are
 * reported once per burst with its instance, unlabelled containers are not, and a stream broken by an
 * engine that went away resumes with the events it missed (through a socket proxy switched off and on), and
 * every connect is announced, so the agent's sweep finds what changed while nobody listened.
 */
import { randomUUID } from 'node:crypto';
import { followContainerEvents } from '../../activities/runtime/docker/container-events';
import type { RuntimeEventFollower } from '../../activities/runtime/runtime-events';
import { createDockerClient } from '../../activities/runtime/docker/docker-client';
import { LABEL_INSTANCE } from '../../activities/runtime/labels';
import { createLogger } from '../../common/logger';
import { docker } from '../support/docker-state';
import { startDockerSocketProxy, type DockerSocketProxy } from '../support/docker-socket-proxy';
import { eventually } from '../support/eventually';
import { BUSYBOX_IMAGE } from '../support/test-images';

let proxy: DockerSocketProxy;
let follower: RuntimeEventFollower;
const reports: string[] = [];
let connects = 0;
const made: string[] = [];

beforeAll(async () => {
  proxy = await startDockerSocketProxy();
  follower = followContainerEvents({
    docker: createDockerClient(proxy.url),
    logger: createLogger('events-test', 'error'),
    debounceMs: 300,
    onChanged: (uuid) => reports.push(uuid),
    onConnected: () => {
      connects += 1;
    },
  });
  await eventually('the stream open', async () => (connects === 1 ? true : undefined), 10_000, 50);
});

afterAll(async () => {
  follower?.stop();
  await proxy?.close();
  await Promise.all(
    made.map((id) =>
      docker
        .getContainer(id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
});

async function container(labels: Record<string, string>): Promise<string> {
  const made_ = await docker.createContainer({ Image: BUSYBOX_IMAGE, Tty: true, Labels: labels });
  made.push(made_.id);
  return made_.id;
}

const reportsOf = (uuid: string) => reports.filter((r) => r === uuid).length;

test('start, stop and removal of a labelled container are reported once per burst; others are not', async () => {
  const uuid = randomUUID();
  const earlier = reports.length;
  const id = await container({ [LABEL_INSTANCE]: uuid });
  const stranger = await container({ other: 'x' });
  await docker.getContainer(stranger).start();
  await docker.getContainer(id).start();
  await eventually('start reported', async () => (reportsOf(uuid) === 1 ? true : undefined), 10_000, 50);
  // stop is kill + die + stop: one report.
  await docker.getContainer(id).stop({ t: 0 });
  await eventually('stop reported', async () => (reportsOf(uuid) === 2 ? true : undefined), 10_000, 50);
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(reportsOf(uuid)).toBe(2);
  await docker.getContainer(id).remove({ force: true });
  await eventually('removal reported', async () => (reportsOf(uuid) === 3 ? true : undefined), 10_000, 50);
  expect(reports.slice(earlier)).toEqual([uuid, uuid, uuid]);
});

test('events that happen while the engine is unreachable are reported once it is back', async () => {
  const uuid = randomUUID();
  const id = await container({ [LABEL_INSTANCE]: uuid });
  proxy.setDown(true);
  await docker.getContainer(id).start();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(reportsOf(uuid)).toBe(0);
  proxy.setDown(false);
  await eventually('missed start reported after the reconnect', async () => (reportsOf(uuid) >= 1 ? true : undefined), 40_000, 100);
  // What the engine no longer keeps is for the sweep the reconnect announces.
  expect(connects).toBeGreaterThanOrEqual(2);
});
