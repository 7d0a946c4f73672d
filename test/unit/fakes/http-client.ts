/** Minimal HTTP client for the fakes' own tests: never throws on a status, keeps the raw text. */
import axios from 'axios';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  /** Raw body text, so big numbers and text/plain bodies are seen exactly. */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface HttpRequest {
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export const CIMI_AUTH = { 'slipstream-authn-info': 'super ADMIN' };

export async function http(method: string, url: string, request: HttpRequest = {}): Promise<HttpAnswer> {
  // Strings go out verbatim (XML, broken JSON); anything else as JSON.
  const raw = request.body === undefined || typeof request.body === 'string';
  const sent = raw || hasContentType(request.headers) ? request.headers : { 'Content-Type': 'application/json', ...request.headers };
  const response = await axios.request<string>({
    method,
    url,
    data: raw ? request.body : JSON.stringify(request.body),
    headers: sent,
    transformRequest: (data: unknown) => data,
    timeout: request.timeoutMs ?? 5000,
    responseType: 'text',
    transformResponse: (raw: string) => raw,
    validateStatus: () => true,
  });
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(response.headers)) {
    if (typeof value === 'string') headers[key.toLowerCase()] = value;
  }
  const text = typeof response.data === 'string' ? response.data : '';
  let json: unknown;
  try {
    json = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers, text, json };
}

/** Resolves with the error code of a request that fails at the network level (ECONNREFUSED...). */
export async function networkError(method: string, url: string, timeoutMs = 2000): Promise<string> {
  try {
    await axios.request({ method, url, timeout: timeoutMs, validateStatus: () => true });
  } catch (err) {
    if (axios.isAxiosError(err)) return err.code ?? err.message;
    throw err;
  }
  throw new Error(`expected ${method} ${url} to fail at the network level`);
}

function hasContentType(headers: Record<string, string> | undefined): boolean {
  return Object.keys(headers ?? {}).some((k) => k.toLowerCase() === 'content-type');
}
