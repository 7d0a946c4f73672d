/**
 * Fetches a compose file from the service's `exec` URL (spec/original-lm.md §13 D4: the original fetched any
 * scheme, any size, with no timeout). Only http/https, bounded in time, size and redirects, and only from the
 * addresses the outbound policy allows (checked on the address connected to, at every redirect). The result
 * says whether a retry could help, so that the agent retries a 503 but not a 404, and the API can answer 400.
 * No message quotes what the server answered: a URL pointed at something that is not a compose file must not
 * turn the LM into a way to read it.
 */
import http from 'node:http';
import https from 'node:https';
import axios, { AxiosError } from 'axios';
import type { LmConfig } from '../../../common/config';
import { OutboundPolicy } from '../../../common/outbound-address';

export interface ComposeFetchLimits {
  /** Whole request, connection to last byte. */
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  /** Where a compose file may come from. */
  policy: OutboundPolicy;
}

export const DEFAULT_COMPOSE_FETCH_LIMITS: ComposeFetchLimits = {
  timeoutMs: 10_000,
  maxBytes: 1024 * 1024,
  maxRedirects: 3,
  policy: new OutboundPolicy([]),
};

/** The limits this LM's configuration sets (LM_HTTP_TIMEOUT_MS, LM_COMPOSE_URL_ALLOW). */
export function composeFetchLimits(config: LmConfig): ComposeFetchLimits {
  return { ...DEFAULT_COMPOSE_FETCH_LIMITS, timeoutMs: config.httpTimeoutMs, policy: new OutboundPolicy(config.composeUrlAllow) };
}

/** Raised where the policy refuses an address; carried through axios as its cause. */
class RefusedAddress extends Error {
  readonly code = 'ELMREFUSED';
}

export type ComposeFetchResult =
  | { ok: true; text: string }
  /** `retryable`: the server or the network failed (5xx, timeout), not the URL itself. */
  | { ok: false; retryable: boolean; message: string };

/** Network errors a retry can cure; refused connections and unknown hosts are the URL's fault. */
const TRANSIENT_CODES = ['ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_CANCELED', 'EAI_AGAIN', 'EPIPE', 'ENETUNREACH', 'EHOSTUNREACH'];

/** The URL without credentials, for messages. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Why `url` cannot be a compose file URL, or null when it can. */
export function composeUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL: give the http(s) URL of a compose file`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `compose file URL ${displayUrl(url)} uses ${parsed.protocol.replace(/:$/, '')}: only http and https are allowed`;
  }
  return null;
}

function describeError(err: AxiosError, url: string, limits: ComposeFetchLimits): ComposeFetchResult {
  const where = `compose file ${displayUrl(url)}`;
  const code = err.code ?? '';
  if (/maxContentLength/.test(err.message)) {
    return { ok: false, retryable: false, message: `${where} is larger than ${limits.maxBytes} bytes` };
  }
  if (code === 'ERR_FR_TOO_MANY_REDIRECTS') {
    return { ok: false, retryable: false, message: `${where} redirects more than ${limits.maxRedirects} times` };
  }
  const refused = code === 'ELMREFUSED' ? err.message : err.cause instanceof RefusedAddress ? err.cause.message : null;
  if (refused !== null) return { ok: false, retryable: false, message: `${where} is not fetched: ${refused}` };
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED') {
    return { ok: false, retryable: true, message: `${where} did not arrive within ${limits.timeoutMs} ms` };
  }
  return {
    ok: false,
    retryable: TRANSIENT_CODES.includes(code),
    message: `${where} cannot be fetched: ${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}`,
  };
}

export async function fetchComposeFile(
  url: string,
  limits: ComposeFetchLimits = DEFAULT_COMPOSE_FETCH_LIMITS,
): Promise<ComposeFetchResult> {
  const problem = composeUrlProblem(url);
  if (problem !== null) return { ok: false, retryable: false, message: problem };
  const refused = limits.policy.urlProblem(new URL(url));
  if (refused !== null) return { ok: false, retryable: false, message: `compose file ${displayUrl(url)} is not fetched: ${refused}` };
  const lookup = limits.policy.lookup();
  try {
    const response = await axios.get<string>(url, {
      // Straight to the server (no proxy from the environment), through agents that resolve with the policy.
      proxy: false,
      httpAgent: new http.Agent({ lookup }),
      httpsAgent: new https.Agent({ lookup }),
      beforeRedirect: (options) => {
        const next = new URL(String(options.href ?? `${String(options.protocol)}//${String(options.hostname)}`));
        const why = composeUrlProblem(next.toString()) ?? limits.policy.urlProblem(next);
        if (why !== null) throw new RefusedAddress(`a redirect to ${displayUrl(next.toString())}: ${why}`);
      },
      timeout: limits.timeoutMs,
      // `timeout` is per socket inactivity; the signal bounds a server that drips bytes.
      signal: AbortSignal.timeout(limits.timeoutMs),
      maxContentLength: limits.maxBytes,
      maxRedirects: limits.maxRedirects,
      responseType: 'text',
      transformResponse: [(data: string) => data],
      validateStatus: () => true,
      headers: { Accept: 'application/yaml, text/yaml, text/plain, */*' },
    });
    const where = `compose file ${displayUrl(url)}`;
    if (response.status >= 500) {
      return { ok: false, retryable: true, message: `${where} answered HTTP ${response.status}; the server failed, retrying` };
    }
    if (response.status >= 300) {
      return { ok: false, retryable: false, message: `${where} answered HTTP ${response.status}: check the service's exec URL` };
    }
    const text = typeof response.data === 'string' ? response.data : String(response.data);
    if (text.trim() === '') return { ok: false, retryable: false, message: `${where} is empty` };
    return { ok: true, text };
  } catch (err) {
    if (err instanceof AxiosError) return describeError(err, url, limits);
    throw err;
  }
}
