/**
 * Turns client-node errors into classified failures (DESIGN §4). The API server answers errors as a `Status`
 * whose `message` says what is wrong; client-node throws an ApiException carrying the HTTP code and that body
 * as text, or a node-fetch error when the server cannot be reached.
 */
import type { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../../workflows/model/failures';
import { failure } from '../../failures';

interface ApiErrorShape {
  code?: unknown;
  body?: unknown;
  message?: unknown;
  name?: unknown;
}

/** Codes worth retrying: the server is busy or something changed under us, not our request that is wrong. */
const RETRYABLE_CODES = [408, 409, 429];

/** The HTTP status of an API error, undefined for network errors (whose `code` is a string like ECONNREFUSED). */
export function kubernetesStatusCode(err: unknown): number | undefined {
  const code = (err as ApiErrorShape | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The Status `message` of an API error, else its raw body, else the error's own message. Read structurally:
 * the client lives in another realm under Jest, where `instanceof` fails.
 */
export function kubernetesMessage(err: unknown): string {
  const shape = (err ?? {}) as ApiErrorShape;
  if (typeof shape.body === 'string' && shape.body.trim() !== '') {
    try {
      const status = JSON.parse(shape.body) as { message?: unknown };
      if (typeof status.message === 'string' && status.message !== '') return status.message;
    } catch {
      // Not JSON (a proxy's HTML error page…): the text itself is the best there is.
    }
    return shape.body.trim().slice(0, 500);
  }
  if (typeof shape.message === 'string') return shape.message.split('\n')[0];
  return String(err);
}

/** node-fetch's errors: a system error code (ECONNREFUSED…), or an abort by the request timeout. */
function isNetworkError(err: unknown): boolean {
  const { code, name } = (err ?? {}) as ApiErrorShape;
  return typeof code === 'string' || name === 'FetchError' || name === 'AbortError';
}

/** What a user can do about a refusal, by HTTP status. */
function hintFor(code: number, namespace: string): string {
  if (code === 401) return 'check the credentials of the kubeconfig (or use K8S_PROXY with "kubectl proxy")';
  if (code === 403) return `give the LM's Kubernetes user the right to manage deployments and services in namespace "${namespace}"`;
  if (code === 404) return `check that namespace "${namespace}" exists (K8S_NAMESPACE) and that the API server serves apps/v1`;
  if (code === 400 || code === 422) return 'fix the service definition (exec image reference, exec_ports)';
  return 'check the request against the cluster';
}

export interface KubernetesCall {
  /** e.g. `create Deployment lm-…`; it leads the message. */
  what: string;
  server: string;
  namespace: string;
}

export function classifyKubernetesError(err: unknown, { what, server, namespace }: KubernetesCall): ApplicationFailure {
  const code = kubernetesStatusCode(err);
  const message = kubernetesMessage(err);
  if (code === undefined && isNetworkError(err)) {
    return failure(
      FailureType.RuntimeUnavailable,
      `${what}: the Kubernetes API at ${server} is not reachable (${message}); start the cluster or "kubectl proxy", or fix K8S_PROXY / the kubeconfig`,
    );
  }
  if (code === undefined) return failure(FailureType.RuntimeUnavailable, `${what}: the Kubernetes client failed: ${message}`);
  if (code >= 400 && code < 500 && !RETRYABLE_CODES.includes(code)) {
    const type = code === 400 || code === 422 ? FailureType.InvalidSpec : FailureType.PeerRejected;
    return failure(type, `${what}: Kubernetes refused it (HTTP ${code}): ${message}; ${hintFor(code, namespace)}`);
  }
  return failure(FailureType.RuntimeUnavailable, `${what}: Kubernetes failed (HTTP ${code}): ${message}`);
}
