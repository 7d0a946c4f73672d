import type Docker from 'dockerode';
import { leftExitedByEngineRestart } from '../../activities/runtime/docker/engine-restart';

const ENGINE_START = Date.parse('2026-12-02T05:28:20.647Z');
const BEFORE = '2026-12-02T05:28:08.689Z';
const AFTER = '2026-12-02T05:28:21.100Z';
const NEVER = '0001-01-01T00:00:00Z';

function container(
  status: string,
  startedAt: string,
  extra: Partial<Docker.ContainerInspectInfo['State']> = {},
): Docker.ContainerInspectInfo {
  const state = { Status: status, Running: status === 'running', Restarting: false, StartedAt: startedAt, ExitCode: 0, ...extra };
  return { State: state } as unknown as Docker.ContainerInspectInfo;
}

test('exited, last started by an earlier engine: left by the restart', () => {
  expect(leftExitedByEngineRestart(container('exited', BEFORE), ENGINE_START)).toBe(true);
  // Whatever its exit code: the restore's stop and a shutdown's SIGTERM end it as its command answers them.
  expect(leftExitedByEngineRestart(container('exited', BEFORE, { ExitCode: 137 }), ENGINE_START)).toBe(true);
});

test('exited, started by the running engine: stopped while the engine stayed up, not left by a restart', () => {
  expect(leftExitedByEngineRestart(container('exited', AFTER), ENGINE_START)).toBe(false);
  expect(leftExitedByEngineRestart(container('exited', AFTER, { ExitCode: 1 }), ENGINE_START)).toBe(false);
});

test('not exited, never started, or an engine that cannot tell when it started: not left by a restart', () => {
  expect(leftExitedByEngineRestart(container('running', BEFORE), ENGINE_START)).toBe(false);
  expect(leftExitedByEngineRestart(container('exited', BEFORE, { Restarting: true }), ENGINE_START)).toBe(false);
  expect(leftExitedByEngineRestart(container('created', NEVER), ENGINE_START)).toBe(false);
  expect(leftExitedByEngineRestart(container('exited', NEVER), ENGINE_START)).toBe(false);
  expect(leftExitedByEngineRestart(container('dead', BEFORE), ENGINE_START)).toBe(false);
  expect(leftExitedByEngineRestart(container('exited', BEFORE), null)).toBe(false);
});
