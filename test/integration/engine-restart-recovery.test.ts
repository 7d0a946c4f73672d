/**
 * The agent's dockerd dies (SIGKILL, as a crash or the OOM killer would) and is started again on a private engine of
 * the test's own (the shared engine is never touched). Its containers outlive it under their shims, and the new
 * dockerd's restore stops them; 20.10 then leaves `unless-stopped` containers exited. The LM, told by the
 * agent's Docker event stream coming back, starts the container of a started instance again by itself and says why
 * on the timeline; the container of an instance the user stopped stays stopped. The same holds for a compose
 * project's containers. Real Temporal, real compose CLI, in-process LM.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL } from '../../activities/runtime/compose/compose-containers';
import { uuidOf } from '../../workflows/model/instance';
import { operate, getInstance, getTimeline, submit } from '../support/api-calls';
import type { TimelineEntry } from '../../workflows/model/instance';
import { eventually } from '../support/eventually';
import type { LmHarness } from '../support/lm-harness';
import { startLmOnPrivateEngine, stopLmOnPrivateEngine } from '../support/lm-on-private-engine';
import type { PrivateEngine } from '../support/private-docker-engine';
import { startComposeFileServer, type ComposeFileServer } from '../support/compose-file-server';
import { BUSYBOX_IMAGE } from '../support/test-images';

let engine: PrivateEngine;
let lm: LmHarness;
let files: ComposeFileServer;
let workingDir: string;

const STARTED_AGAIN = /^the engine restarted and left lm-\S+ exited: started again$/;

beforeAll(async () => {
  workingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-engine-restart-'));
  files = await startComposeFileServer();
  ({ engine, lm } = await startLmOnPrivateEngine('er', { WORKING_DIR_VOLUME: workingDir }));
}, 120_000);

afterAll(async () => {
  await stopLmOnPrivateEngine({ engine, lm });
  await files?.close();
  if (workingDir) fs.rmSync(workingDir, { recursive: true, force: true });
}, 120_000);

const timelineOf = (uuid: string) => getTimeline(lm.api, uuid);

const inspect = (id: string): Promise<Docker.ContainerInspectInfo> => engine.docker.getContainer(id).inspect();

/** The container of `uuid`'s first agent, as the instance records it. */
async function containerOf(uuid: string): Promise<string> {
  return (await getInstance(lm.api, uuid)).agents[0].container_id;
}

async function explain(uuids: string[]): Promise<void> {
  for (const uuid of uuids) {
    const instance = await getInstance(lm.api, uuid).catch((err: unknown) => String(err));
    const timeline = await timelineOf(uuid).catch(() => []);
    console.log(`${uuid} ${JSON.stringify(instance)}\n${timeline.map((e) => `${e.at} ${e.step} ${e.outcome} ${e.message}`).join('\n')}`);
  }
  console.log('dockerd log:', engine.logTail(4000));
}

/** A moment after the LM started a witness again, the user's stop still holds: on the engine, the instance and its timeline. */
async function userStopHolds(uuid: string, stillStopped: () => Promise<void>): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await stillStopped();
  const instance = await getInstance(lm.api, uuid);
  expect({ status: instance.status, agent: instance.agents[0].status }).toEqual({ status: 'stopped', agent: 'stopped' });
  expect((await timelineOf(uuid)).filter((e) => e.step === 'observe')).toEqual([]);
}

/** dockerd killed and started again: what ran before is stopped by its restore. */
async function killAndRestartEngine(): Promise<void> {
  await engine.kill();
  await engine.start();
}

/** The instance's container runs again, started by the LM after the restart (the timeline says so). */
async function startedAgainByLm(uuid: string, id: string): Promise<TimelineEntry> {
  return eventually(
    `${uuid}: container started again by the LM`,
    async () => {
      const entry = (await timelineOf(uuid)).find((e) => STARTED_AGAIN.test(e.message ?? ''));
      return entry !== undefined && (await inspect(id)).State.Running ? entry : undefined;
    },
    45_000,
    250,
  );
}

test('dockerd killed and started again: the container its restore left exited is started again by the LM, the instance stays started', async () => {
  const { uuid } = await submit(lm.api, { name: 'engine-restart', ports: [80] });
  const id = await containerOf(uuid);
  expect((await inspect(id)).State.Running).toBe(true);
  try {
    await killAndRestartEngine();
    const entry = await startedAgainByLm(uuid, id);
    expect(entry).toMatchObject({ step: 'observe', outcome: 'ok' });
    // The same container (not a new one), started by the engine running now, and the instance never reported broken.
    const after = await inspect(id);
    expect(after.State.Running).toBe(true);
    expect(Date.parse(after.State.StartedAt)).toBeGreaterThan(
      Date.parse(((await engine.docker.getNetwork('bridge').inspect()) as { Created: string }).Created),
    );
    const instance = await getInstance(lm.api, uuid);
    expect({ status: instance.status, agent: instance.agents[0].status, container: instance.agents[0].container_id }).toEqual({
      status: 'started',
      agent: 'started',
      container: id,
    });
    expect((await timelineOf(uuid)).filter((e) => e.outcome === 'failed')).toEqual([]);
    expect(await engine.docker.listContainers({ all: true })).toHaveLength(1);
  } catch (err) {
    await explain([uuid]);
    throw err;
  } finally {
    await lm.api.delete(`/api/v2/lm/service-instances/${uuid}`);
  }
}, 100_000);

test('dockerd killed and started again: the container of an instance the user stopped stays stopped', async () => {
  const { uuid: stopped } = await submit(lm.api, { name: 'user-stopped', ports: [80] });
  const { uuid: witness } = await submit(lm.api, { name: 'witness', ports: [80] });
  expect((await operate(lm.api, stopped, 'stop')).status).toBe(200);
  const stoppedId = await containerOf(stopped);
  const witnessId = await containerOf(witness);
  expect((await inspect(stoppedId)).State.Running).toBe(false);
  try {
    await killAndRestartEngine();
    // The LM has looked at this engine's containers since its restart: it started the witness again.
    await startedAgainByLm(witness, witnessId);
    await userStopHolds(stopped, async () => expect((await inspect(stoppedId)).State).toMatchObject({ Status: 'exited', Running: false }));
  } catch (err) {
    await explain([stopped, witness]);
    throw err;
  } finally {
    await lm.api.delete(`/api/v2/lm/service-instances/${stopped}`);
    await lm.api.delete(`/api/v2/lm/service-instances/${witness}`);
  }
}, 100_000);

/** A started compose instance of two services (no restart policy: the engine's restore leaves them both exited). */
async function submitCompose(name: string): Promise<string> {
  const url = files.put(`${name}.yml`, `services:\n  web:\n    image: ${BUSYBOX_IMAGE}\n  sidecar:\n    image: ${BUSYBOX_IMAGE}\n`);
  const response = await lm.api.post('/api/v2/lm/service?wait=true', {
    service: { name, exec: url, exec_type: 'docker-compose', exec_ports: [] },
  });
  expect({ status: response.status, instance: response.data.service_instance?.status }).toEqual({ status: 200, instance: 'started' });
  return uuidOf(response.data.service_instance.id as string);
}

/** The project's containers by service: id and whether it runs. */
async function projectOf(uuid: string): Promise<Record<string, { id: string; running: boolean }>> {
  const containers = await engine.docker.listContainers({ all: true, filters: { label: [`${COMPOSE_PROJECT_LABEL}=lm-${uuid}`] } });
  return Object.fromEntries(containers.map((c) => [c.Labels[COMPOSE_SERVICE_LABEL], { id: c.Id, running: c.State === 'running' }]));
}

const allRunning = (project: Record<string, { running: boolean }>) => ({
  web: project.web?.running,
  sidecar: project.sidecar?.running,
});

test('dockerd killed and started again: the compose project its restore left exited is started again, the instance stays started', async () => {
  const uuid = await submitCompose('compose-restart');
  const before = await projectOf(uuid);
  expect(allRunning(before)).toEqual({ web: true, sidecar: true });
  try {
    await killAndRestartEngine();
    const entry = await eventually(
      `${uuid}: compose project started again by the LM`,
      async () => {
        const found = (await timelineOf(uuid)).find((e) => STARTED_AGAIN.test(e.message ?? ''));
        const project = await projectOf(uuid);
        return found !== undefined && project.web?.running && project.sidecar?.running ? found : undefined;
      },
      45_000,
      250,
    );
    expect(entry).toMatchObject({ step: 'observe', outcome: 'ok' });
    // The same containers, not new ones, and the instance never reported broken.
    const after = await projectOf(uuid);
    expect({ web: after.web.id, sidecar: after.sidecar.id }).toEqual({ web: before.web.id, sidecar: before.sidecar.id });
    const instance = await getInstance(lm.api, uuid);
    expect({ status: instance.status, agent: instance.agents[0].status }).toEqual({ status: 'started', agent: 'started' });
    expect((await timelineOf(uuid)).filter((e) => e.outcome === 'failed')).toEqual([]);
  } catch (err) {
    await explain([uuid]);
    throw err;
  } finally {
    await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  }
  expect(await projectOf(uuid)).toEqual({});
}, 120_000);

test('dockerd killed and started again: the compose project of an instance the user stopped stays stopped', async () => {
  const stopped = await submitCompose('compose-user-stopped');
  const witness = await submitCompose('compose-witness');
  expect((await operate(lm.api, stopped, 'stop')).status).toBe(200);
  expect(allRunning(await projectOf(stopped))).toEqual({ web: false, sidecar: false });
  try {
    await killAndRestartEngine();
    // The LM has looked at this engine's containers since its restart: it started the witness again.
    await eventually(
      `${witness}: compose project started again by the LM`,
      async () => {
        const found = (await timelineOf(witness)).some((e) => STARTED_AGAIN.test(e.message ?? ''));
        return found && allRunning(await projectOf(witness)).web ? true : undefined;
      },
      45_000,
      250,
    );
    await userStopHolds(stopped, async () => expect(allRunning(await projectOf(stopped))).toEqual({ web: false, sidecar: false }));
  } catch (err) {
    await explain([stopped, witness]);
    throw err;
  } finally {
    await lm.api.delete(`/api/v2/lm/service-instances/${stopped}?wait=true`);
    await lm.api.delete(`/api/v2/lm/service-instances/${witness}?wait=true`);
  }
}, 120_000);
