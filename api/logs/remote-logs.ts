/**
 * Workload logs of an agent whose LM runs on another machine: read through that LM's internal logs endpoint,
 * which reads its own engine the way this LM reads its own.
 *
 * Who is asked: an agent this LM knows (CIMI, LM_PEER_AGENTS), or one whose LM joined this cluster (its presence
 * record, which also says the port its API listens on). An agent that only a client named (`agents_list`) is
 * never called: the answer would be relayed to that client. The internal token goes only to an agent this LM
 * knows, as for every LM-to-LM call (README, Security).
 */
import { isIP } from 'node:net';
import axios from 'axios';
import { errorMessage } from '../../activities/failures';
import type { KnownAgents } from '../../activities/peers/known-agents';
import type { LmConfig } from '../../common/config';
import type { AgentRecord } from '../../workflows/model/agents';
import type { AgentEntry } from '../../workflows/model/instance';
import { LineSplitter, LOG_LIMITS, type LogLine, type LogNotice, type LogRequest, type LogSink, type LogStream } from './log-records';

export interface RemoteWorkload {
  uuid: string;
  index: number;
  entry: AgentEntry;
  agent: string;
}

/** The presence records of the agents that joined this cluster (api/agent-directory.ts). */
export interface JoinedAgents {
  registered(ip: string): Promise<AgentRecord | null>;
}

export function internalLogsPath(uuid: string): string {
  return `/api/v2/lm/service-instance-int/${uuid}/logs`;
}

/** A record holds a line of at most LOG_LIMITS.maxLineBytes, JSON-escaped. */
const NDJSON_RECORD_LIMIT = LOG_LIMITS.maxLineBytes * 8;
/** What is kept of an answer that is not the records (an error): enough for its message. */
const ERROR_BODY_LIMIT = 4096;
const STREAMS: readonly LogStream[] = ['stdout', 'stderr', 'combined'];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** Where the agent's LM is asked and with which token, or why it is not asked. */
export type RemoteLm = { url: string; token: string | null } | { refused: string };

export async function remoteLmOf(config: LmConfig, known: KnownAgents, joined: JoinedAgents, uuid: string, ip: string): Promise<RemoteLm> {
  const knows = await known.knows(ip);
  let record: AgentRecord | null = null;
  let unreadable: string | null = null;
  try {
    record = await joined.registered(ip);
  } catch (err) {
    unreadable = errorMessage(err);
  }
  if (!knows && record === null) {
    return {
      refused:
        unreadable === null
          ? `not read: agent ${ip} is neither known to this LM (CIMI, LM_PEER_AGENTS) nor joined to its cluster, and only their LMs are asked for logs (an agent only a client named is never called)`
          : `not read: agent ${ip} is not known to this LM (CIMI, LM_PEER_AGENTS), and whether it joined this cluster cannot be read now: ${unreadable}`,
    };
  }
  // Its own record says where its API listens; an agent known only from CIMI or LM_PEER_AGENTS has this LM's port.
  const port = record?.lm === null || record?.lm === undefined ? config.port : record.lm.apiPort;
  if (port === null)
    return { refused: `not read: the LM of agent ${ip} runs no REST API (LM_AGENT_API=false), which its logs are read through` };
  const host = isIP(ip) === 6 ? `[${ip}]` : ip;
  return { url: `http://${host}:${port}${internalLogsPath(uuid)}`, token: knows ? config.auth.internalToken : null };
}

/** A record of the other LM as this LM passes it on: its fields checked and bounded, tagged as this instance's agent. */
function recordOf(value: unknown, agent: string): LogLine | LogNotice | null {
  if (!isRecord(value)) return null;
  const source = typeof value.source === 'string' ? value.source.slice(0, 255) : undefined;
  if (value.kind === 'line' && typeof value.line === 'string' && source !== undefined) {
    const line =
      value.line.length > LOG_LIMITS.maxLineBytes
        ? `${value.line.slice(0, LOG_LIMITS.maxLineBytes)} … [line cut at ${LOG_LIMITS.maxLineBytes} characters]`
        : value.line;
    const stream = STREAMS.find((s) => s === value.stream) ?? 'combined';
    const at = typeof value.at === 'string' && value.at.length <= 64 ? value.at : null;
    return { kind: 'line', agent, source, stream, at, line };
  }
  if (value.kind === 'notice' && typeof value.message === 'string') {
    return { kind: 'notice', agent, ...(source === undefined ? {} : { source }), message: value.message.slice(0, 1000) };
  }
  return null;
}

async function errorText(body: NodeJS.ReadableStream & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.from(chunk as Buffer);
    chunks.push(buffer);
    size += buffer.length;
    if (size >= ERROR_BODY_LIMIT) break;
  }
  body.destroy?.();
  const text = Buffer.concat(chunks).toString().slice(0, ERROR_BODY_LIMIT);
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed) && typeof parsed.message === 'string') return parsed.message.slice(0, 500);
  } catch {
    // not JSON: the text says it
  }
  return text.slice(0, 500);
}

export async function readRemoteLogs(
  config: LmConfig,
  known: KnownAgents,
  joined: JoinedAgents,
  workload: RemoteWorkload,
  request: LogRequest,
  sink: LogSink,
  signal: AbortSignal,
): Promise<void> {
  const { entry, agent } = workload;
  const remote = await remoteLmOf(config, known, joined, workload.uuid, entry.url);
  if ('refused' in remote) {
    sink({ kind: 'notice', agent, message: remote.refused });
    return;
  }
  const { url, token } = remote;
  const params = {
    agent_index: workload.index,
    agent_url: entry.url,
    exec_type: entry.app_type,
    tail: request.tail,
    follow: request.follow,
    ...(request.since === null ? {} : { since: request.since }),
  };
  // Bounded: its answer must begin within the HTTP timeout; without follow it must end within remoteReadMs
  // (with follow it lasts until the instance ends or the client goes, which abort `signal`).
  const call = new AbortController();
  const ended: { why: string | null } = { why: null };
  const stop = (reason: string) => {
    ended.why ??= reason;
    call.abort();
  };
  const forward = () => call.abort();
  signal.addEventListener('abort', forward, { once: true });
  const answerTimer = setTimeout(
    () => stop(`the LM of agent ${entry.url} did not answer within ${config.httpTimeoutMs} ms (${url})`),
    config.httpTimeoutMs,
  );
  const readTimer = request.follow
    ? null
    : setTimeout(
        () =>
          stop(`the LM of agent ${entry.url} did not finish its answer within ${LOG_LIMITS.remoteReadMs} ms: the lines before are kept`),
        LOG_LIMITS.remoteReadMs,
      );
  try {
    const response = await axios.get<NodeJS.ReadableStream & { destroy?: () => void }>(url, {
      params,
      headers: token === null ? {} : { Authorization: `Bearer ${token}` },
      responseType: 'stream',
      signal: call.signal,
      // Straight to the agent: no proxy of the environment sits between two LMs.
      proxy: false,
      maxRedirects: 0,
      validateStatus: () => true,
    });
    clearTimeout(answerTimer);
    if (response.status !== 200) {
      const message = await errorText(response.data);
      const why =
        response.status === 401 && token === null && config.auth.internalToken !== null
          ? ' (the internal token is sent only to agents CIMI or LM_PEER_AGENTS name)'
          : '';
      sink({ kind: 'notice', agent, message: `the LM of agent ${entry.url} answered ${response.status}: ${message}${why}` });
      return;
    }
    await new Promise<void>((resolve) => {
      const splitter = new LineSplitter(NDJSON_RECORD_LIMIT, (_at, line) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          return;
        }
        const record = recordOf(parsed, agent);
        if (record !== null) sink(record);
      });
      response.data.on('data', (chunk: Buffer) => splitter.push(chunk));
      const done = () => {
        splitter.end();
        resolve();
      };
      response.data.once('end', done);
      response.data.once('close', done);
      response.data.once('error', done);
    });
  } catch (err) {
    if (ended.why === null && signal.aborted) return;
    sink({ kind: 'notice', agent, message: ended.why ?? `cannot reach the LM of agent ${entry.url} (${url}): ${errorMessage(err)}` });
    return;
  } finally {
    clearTimeout(answerTimer);
    if (readTimer !== null) clearTimeout(readTimer);
    signal.removeEventListener('abort', forward);
  }
  if (ended.why !== null && !signal.aborted) sink({ kind: 'notice', agent, message: ended.why });
}
