/**
 * One HTTP call to an mF2C peer, with a timeout and the failure classes of DESIGN §4: 4xx → PeerRejected
 * (not retried, with the peer's answer); 5xx and network errors → PeerUnavailable (retried). For a call that
 * is not idempotent, a failure after the request may have reached the peer (a timeout, a reset) is
 * PeerOutcomeUnknown: resending it could apply it twice.
 */
import { ApplicationFailure } from '@temporalio/common';
import axios, { type AxiosError, type Method } from 'axios';
import { FailureType } from '../../workflows/model/failures';
import { errorMessage, failure } from '../failures';

export interface PeerRequest {
  /** Names the peer in messages, e.g. "the SLA Manager". */
  peer: string;
  method: Method;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** False for calls applied on each receipt (UM's ±1, agreement creation, remote deploys). */
  idempotent: boolean;
  /** Statuses that are an answer, not a failure (e.g. 404 for "not found"). */
  accept?: number[];
}

export interface PeerResponse {
  status: number;
  data: unknown;
}

/** A peer's answer beyond this is refused: no peer of the LM answers anything near it. */
export const MAX_PEER_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Errors raised before a byte of the request left: the peer cannot have applied it. */
const NOT_SENT_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'];

export function answerText(data: unknown): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return (text ?? '').slice(0, 300);
}

export async function callPeer(request: PeerRequest): Promise<PeerResponse> {
  const { peer, method, url } = request;
  try {
    const response = await axios.request<unknown>({
      method,
      url,
      data: request.body,
      headers: request.headers,
      timeout: request.timeoutMs,
      // `timeout` bounds each wait for the socket; the signal bounds the whole call, however slowly it drips.
      signal: AbortSignal.timeout(request.timeoutMs),
      maxContentLength: MAX_PEER_RESPONSE_BYTES,
      maxBodyLength: MAX_PEER_RESPONSE_BYTES,
      proxy: false,
      validateStatus: () => true,
    });
    const { status, data } = response;
    if ((status >= 200 && status < 300) || request.accept?.includes(status)) return { status, data };
    const what = `${peer} (${method.toUpperCase()} ${url}) answered ${status}: ${answerText(data)}`;
    if (status >= 400 && status < 500) throw failure(FailureType.PeerRejected, what);
    throw failure(FailureType.PeerUnavailable, what);
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    const code = (err as AxiosError).code ?? '';
    const what = `${peer} (${method.toUpperCase()} ${url}) is not reachable: ${errorMessage(err)}${code ? ` [${code}]` : ''}`;
    if (request.idempotent || NOT_SENT_CODES.includes(code)) throw failure(FailureType.PeerUnavailable, what, err);
    throw failure(FailureType.PeerOutcomeUnknown, `${what}; it may have been applied, so it is not resent`, err);
  }
}

/** A peer whose URL is not configured: its calls are a configuration problem, not an outage. */
export function notConfigured(peer: string, variable: string): Error {
  return failure(FailureType.NotSupported, `${peer} is not configured: set ${variable}`);
}
