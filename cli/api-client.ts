/** The LM's public REST API as lmctl uses it: one base URL, an optional bearer token, the API's own messages. */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { Readable } from 'node:stream';
import type { ServiceInstance } from '../workflows/model/instance';
import { CliError, EXIT, type ExitCode } from './exit-codes';

export interface ApiTarget {
  url: string;
  token?: string;
}

function exitFor(status: number): ExitCode {
  if (status === 400 || status === 406 || status === 422) return EXIT.invalid;
  if (status === 401 || status === 403) return EXIT.unauthorized;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 501) return EXIT.unsupported;
  return status >= 500 ? EXIT.unavailable : EXIT.failure;
}

function messageOf(data: unknown): string | null {
  if (typeof data === 'object' && data !== null && typeof (data as { message?: unknown }).message === 'string')
    return (data as { message: string }).message;
  return null;
}

export class ApiClient {
  private readonly http: AxiosInstance;

  constructor(readonly target: ApiTarget) {
    this.http = axios.create({
      baseURL: target.url.replace(/\/+$/, ''),
      headers: target.token ? { Authorization: `Bearer ${target.token}` } : {},
      validateStatus: () => true,
      timeout: 0,
    });
  }

  private unreachable(err: unknown): CliError {
    const why = err instanceof Error ? err.message : String(err);
    return new CliError(`cannot reach the LM at ${this.target.url} (${why}): is it running? Set LM_URL or --url`, EXIT.unavailable);
  }

  private check<T>(response: AxiosResponse<T>, what: string): T {
    if (response.status < 300) return response.data;
    const message = messageOf(response.data) ?? `${what}: HTTP ${response.status}`;
    throw new CliError(message, exitFor(response.status));
  }

  async request<T>(
    method: 'get' | 'post' | 'put' | 'delete',
    path: string,
    options: { body?: unknown; params?: Record<string, unknown> } = {},
  ): Promise<{ status: number; data: T }> {
    let response: AxiosResponse<T>;
    try {
      response = await this.http.request<T>({ method, url: path, data: options.body, params: options.params });
    } catch (err) {
      throw this.unreachable(err);
    }
    return { status: response.status, data: this.check(response, `${method.toUpperCase()} ${path}`) };
  }

  get<T>(path: string, params?: Record<string, unknown>): Promise<T> {
    return this.request<T>('get', path, { params }).then((r) => r.data);
  }

  /** A streamed answer (server-sent events, newline-delimited JSON); errors are read from the JSON body. */
  async stream(path: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<Readable> {
    let response: AxiosResponse<Readable>;
    try {
      response = await this.http.get<Readable>(path, { params, responseType: 'stream', signal });
    } catch (err) {
      throw this.unreachable(err);
    }
    if (response.status < 300) return response.data;
    const chunks: Buffer[] = [];
    for await (const chunk of response.data) chunks.push(Buffer.from(chunk as Buffer));
    let body: unknown = null;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString());
    } catch {
      // not JSON: the status says it
    }
    throw new CliError(messageOf(body) ?? `GET ${path}: HTTP ${response.status}`, exitFor(response.status));
  }
}

/** An instance document as the API answers it: the workflow's document plus the link the API adds. */
export type ApiInstance = ServiceInstance & { ui_url?: string };
