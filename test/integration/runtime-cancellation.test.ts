/**
 * Runtime activities honour cancellation (real Temporal, real Docker, real compose CLI, in-process LM): a
 * cancelled step ends at once, kills the CLI it was waiting for, and leaves only what a later remove finds.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { COMPOSE_PROJECT_LABEL } from '../../activities/runtime/compose/compose-containers';
import { composeProjectName } from '../../activities/runtime/labels';
import type { AgentOperationInput } from '../../workflows/agent-operation.workflow';
import { agentTaskQueue, WORKFLOW_TASK_QUEUE } from '../../workflows/model/task-queues';
import { startComposeFileServer, type ComposeFileServer } from '../support/compose-file-server';
import { docker } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { startLm, type LmHarness } from '../support/lm-harness';
import { BUSYBOX_IMAGE } from '../support/test-images';
import { refOf, workloadSpec } from '../support/workload-spec';

let lm: LmHarness;
let files: ComposeFileServer;
let workingDir: string;

beforeAll(async () => {
  workingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-cancel-'));
  files = await startComposeFileServer();
  lm = await startLm({ WORKING_DIR_VOLUME: workingDir });
});

afterAll(async () => {
  await lm?.stop();
  await files?.close();
  fs.rmSync(workingDir, { recursive: true, force: true });
});

/** Processes whose command line names compose project `project` (compose and its plugin children). */
function composeProcesses(project: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.split('\0').includes(project)) found.push(Number(entry));
  }
  return found;
}

const containersOfProject = (project: string): Promise<Docker.ContainerInfo[]> =>
  docker.listContainers({ all: true, filters: { label: [`${COMPOSE_PROJECT_LABEL}=${project}`] } });

function runSteps(id: string, input: Omit<AgentOperationInput, 'taskQueue' | 'agentTimeoutMs'>) {
  return lm.client.workflow.start('agentOperationWorkflow', {
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowId: id,
    args: [{ ...input, taskQueue: agentTaskQueue(lm.config.hostIp), agentTimeoutMs: 20_000 }],
  });
}

test('a compose start cancelled while compose waits: compose is killed at once, and remove cleans what it made', async () => {
  // `web` waits for `slow` to be healthy, which its start period keeps from happening for ten minutes.
  const url = files.put(
    'waits.yml',
    `services:
  slow:
    image: ${BUSYBOX_IMAGE}
    healthcheck:
      test: ["CMD", "cat", "/tmp/never"]
      interval: 1s
      start_period: 600s
  web:
    image: ${BUSYBOX_IMAGE}
    depends_on:
      slow:
        condition: service_healthy
`,
  );
  const spec = workloadSpec({ exec: url, exec_type: 'docker-compose', name: 'waits' });
  const project = composeProjectName(spec);
  const ref = refOf(spec, { container_id: '-', ports: [], agent_param: '-' });
  const handle = await runSteps(`cancel-test/${spec.instanceUuid}`, { steps: ['deploy', 'start'], ref });
  await eventually(
    'compose waiting for the healthy dependency',
    async () => {
      const slow = (await containersOfProject(project)).find((c) => c.Labels['com.docker.compose.service'] === 'slow');
      return slow?.State === 'running' && composeProcesses(project).length > 0 ? true : undefined;
    },
    60_000,
  );

  const cancelledAt = Date.now();
  await handle.cancel();
  await eventually('compose killed', async () => (composeProcesses(project).length === 0 ? true : undefined), 15_000, 100);
  // The next heartbeat (2 s) carries the cancellation; the process group then gets SIGTERM, SIGKILL 2 s later.
  expect(Date.now() - cancelledAt).toBeLessThan(8_000);

  const removal = await runSteps(`cancel-test/${spec.instanceUuid}/remove`, { steps: ['remove'], ref });
  await removal.result();
  expect(await containersOfProject(project)).toEqual([]);
  expect(fs.existsSync(path.join(workingDir, project))).toBe(false);
}, 120_000);
