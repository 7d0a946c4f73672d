/** Client-node errors, classified: the Status message reaches the failure, with what to fix. */
import { classifyKubernetesError, kubernetesMessage } from '../../../activities/runtime/kubernetes/kubernetes-errors';
import { FailureType } from '../../../workflows/model/failures';

const call = { what: 'create Deployment lm-x-0', server: 'http://127.0.0.1:8001', namespace: 'default' };

/** Shaped as client-node's ApiException: the code, and the body as text. */
function apiError(code: number, message: string): Error {
  return Object.assign(new Error(`HTTP-Code: ${code}\nMessage: Unknown API Status Code!`), {
    code,
    body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code }),
  });
}

test.each([
  [400, FailureType.InvalidSpec, true],
  [401, FailureType.PeerRejected, true],
  [403, FailureType.PeerRejected, true],
  [404, FailureType.PeerRejected, true],
  [422, FailureType.InvalidSpec, true],
  [409, FailureType.RuntimeUnavailable, false],
  [429, FailureType.RuntimeUnavailable, false],
  [500, FailureType.RuntimeUnavailable, false],
  [503, FailureType.RuntimeUnavailable, false],
])('HTTP %i → %s (non-retryable: %s)', (code, type, nonRetryable) => {
  const failure = classifyKubernetesError(apiError(code, 'the reason'), call);
  expect(failure.type).toBe(type);
  expect(failure.nonRetryable).toBe(nonRetryable);
  expect(failure.message).toContain('create Deployment lm-x-0');
  expect(failure.message).toContain('the reason');
});

test('a network error says the API is not reachable and how to fix it', () => {
  const refused = Object.assign(new Error('request to http://127.0.0.1:8001/apis failed, reason: connect ECONNREFUSED'), {
    code: 'ECONNREFUSED',
    name: 'FetchError',
  });
  const failure = classifyKubernetesError(refused, call);
  expect(failure.type).toBe(FailureType.RuntimeUnavailable);
  expect(failure.message).toContain('the Kubernetes API at http://127.0.0.1:8001 is not reachable');
  expect(failure.message).toContain('K8S_PROXY');
});

test("a body that is not a Status (a proxy's page) is quoted as it is", () => {
  expect(kubernetesMessage({ code: 502, body: '<html>Bad Gateway</html>' })).toBe('<html>Bad Gateway</html>');
  expect(kubernetesMessage(new Error('first line\nsecond line'))).toBe('first line');
});
