/** A failed compose command becomes a classified failure carrying compose's own words. */
import { classifyComposeError } from '../../../activities/runtime/compose/compose-errors';

const SOCKET = 'unix:///var/run/docker.sock';
const result = (stderr: string, exitCode = 1) => ({ exitCode, stdout: '', stderr, timedOut: false, aborted: false });

test.each([
  [
    'the engine is down',
    "Couldn't connect to Docker daemon\nCannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
    'RuntimeUnavailable',
    false,
  ],
  ['an image is missing', 'Pulling web (nope:1)...\nERROR: pull access denied for nope, repository does not exist', 'ImageNotFound', true],
  [
    'compose rejects the file',
    "ERROR: The Compose file './docker-compose.yml' is invalid because:\nservices.web.ports contains an invalid type",
    'InvalidSpec',
    true,
  ],
  [
    'a fixed host port is taken',
    'ERROR: for web  Cannot start service web: driver failed: Bind for 0.0.0.0:8080 failed: port is already allocated',
    'InvalidSpec',
    true,
  ],
  [
    'the engine cannot start a container (OCI, operation not permitted)',
    'ERROR: for web  Cannot start service web: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error setting rlimits for ready process: error setting rlimit type 7: operation not permitted: unknown',
    'InvalidSpec',
    true,
  ],
  [
    'a command that is not in the image (v2 wording)',
    'Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/nope": stat /nope: no such file or directory: unknown',
    'InvalidSpec',
    true,
  ],
  [
    'an invalid mount',
    'ERROR: for web  Cannot create container for service web: invalid mount config for type "bind": bind source path does not exist: /nowhere',
    'InvalidSpec',
    true,
  ],
  [
    'an unknown capability',
    'ERROR: for web  Cannot create container for service web: invalid CapAdd: unknown capability: "CAP_NOPE"',
    'InvalidSpec',
    true,
  ],
  ['something unknown', 'ERROR: something odd happened', 'RuntimeUnavailable', false],
])('%s', (_what, stderr, type, nonRetryable) => {
  const failure = classifyComposeError(result(`Creating network...\n${stderr}\n`), 'compose up of project lm-1', SOCKET);
  expect(failure.type).toBe(type);
  expect(failure.nonRetryable).toBe(nonRetryable);
  expect(failure.message).toMatch(/^compose up of project lm-1/);
  // The tail of stderr is in the message, so the timeline shows compose's reason.
  expect(failure.message).toContain(stderr.split('\n').pop());
});

test('a compose that cannot even be started is retried, with the reason', () => {
  const failure = classifyComposeError(new Error('spawn docker-compose ENOENT'), 'compose up of project lm-1', SOCKET);
  expect(failure).toMatchObject({ type: 'RuntimeUnavailable', nonRetryable: false, message: expect.stringMatching(/ENOENT/) });
});
