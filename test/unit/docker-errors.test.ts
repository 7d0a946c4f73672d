/** Docker's answers, classified: what says the workload itself cannot run fails for good; the engine's own trouble is retried. */
import { classifyDockerError, classifyEarlyExit, needsNewContainer } from '../../activities/runtime/docker/docker-errors';

const SOCKET = 'unix:///var/run/docker.sock';
/** A dockerode error as it reaches the runtime: the HTTP status and the engine's JSON answer. */
const answer = (statusCode: number, message: string) =>
  Object.assign(new Error(`(HTTP code ${statusCode}) server error - ${message}`), { statusCode, json: { message } });

test.each([
  [
    500,
    'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error setting rlimits for ready process: error setting rlimit type 7: operation not permitted: unknown',
    'InvalidSpec',
    true,
  ],
  [500, 'error gathering device information while adding custom device "/dev/nope": no such file or directory', 'InvalidSpec', true],
  [400, 'invalid CapAdd: unknown capability: "CAP_NOPE"', 'InvalidSpec', true],
  [
    500,
    'driver failed programming external connectivity on endpoint lm-x: Bind for 0.0.0.0:20001 failed: port is already allocated',
    'RuntimeUnavailable',
    false,
  ],
  [500, 'containerd: connection error: desc = "transport: error while dialing"', 'RuntimeUnavailable', false],
  // dockerd stopping under a call: containerd's connection goes, whatever words the call had reached.
  [500, 'transport is closing: unavailable', 'RuntimeUnavailable', false],
  [500, 'Cannot update container 9848c09fd417: grpc: the client connection is closing: context canceled', 'RuntimeUnavailable', false],
  [500, 'failed to create shim task: OCI runtime create failed: runc create failed: ttrpc: closed: unknown', 'RuntimeUnavailable', false],
  [500, 'failed to update store for object type *libnetwork.endpoint: open : no such file or directory', 'RuntimeUnavailable', false],
  [500, 'task b821b776931359f88b451a8bb36b5eac4687b6cd06136fe7d60895d0d8e1dba1: already exists', 'RuntimeUnavailable', false],
])('HTTP %s "%s"', (status, message, type, nonRetryable) => {
  const failure = classifyDockerError(answer(status, message), 'start container lm-x', SOCKET);
  expect({ type: failure.type, nonRetryable: failure.nonRetryable }).toEqual({ type, nonRetryable });
  expect(failure.message).toContain(message);
  expect(failure.message).toMatch(/^start container lm-x: /);
});

describe('a container found stopped right after its start', () => {
  test('ended on its own: its command fails, not retried', () => {
    const failure = classifyEarlyExit('lm-x', '127.0.0.1', { exitCode: 127, error: '', killSignals: [] });
    expect({ type: failure.type, nonRetryable: failure.nonRetryable }).toEqual({ type: 'WorkloadExited', nonRetryable: true });
    expect(failure.message).toContain('exit code 127');
  });

  test('killed by the engine meanwhile (dockerd shutting down, a docker stop): started again', () => {
    const failure = classifyEarlyExit('lm-x', '127.0.0.1', { exitCode: 0, error: '', killSignals: ['15'] });
    expect({ type: failure.type, nonRetryable: failure.nonRetryable }).toEqual({ type: 'RuntimeUnavailable', nonRetryable: false });
    expect(failure.message).toContain('signal 15');
  });
});

test.each([
  [
    'driver failed programming external connectivity on endpoint lm-x: Bind for 0.0.0.0:20001 failed: port is already allocated',
    'port taken',
  ],
  ['listen tcp4 0.0.0.0:20001: bind: address already in use', 'port taken'],
  ['task b821b776931359f88b451a8bb36b5eac4687b6cd06136fe7d60895d0d8e1dba1: already exists', 'stale task'],
  ['Conflict. The container name "/lm-x" is already in use by container "b821b7769313"', null],
  ['transport is closing: unavailable', null],
])('a start refused with "%s" is cured by making the container again: %s', (message, cure) => {
  expect(needsNewContainer(answer(500, message))).toBe(cure);
});

test('a stale containerd task left by an interrupted start is retried and says how it is cured', () => {
  const failure = classifyDockerError(
    answer(500, 'task b821b776931359f88b451a8bb36b5eac4687b6cd06136fe7d60895d0d8e1dba1: already exists'),
    'start container lm-x',
    SOCKET,
  );
  expect(failure.nonRetryable).toBe(false);
  expect(failure.message).toMatch(/task of an interrupted start .*remove the container/);
});
