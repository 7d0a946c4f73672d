/**
 * The workload logs of a service instance, from each of its agents, as one answer of records.
 *
 * They are read by this LM process directly (its Docker engine, its Kubernetes API, another agent's LM), not by
 * workflow activities: a log is a stream of unbounded length that the client reads while it comes, whereas an
 * activity returns one bounded result that Temporal writes into the instance's history (which log text would
 * fill) and retries as a whole. Reading changes nothing on the agent, so it needs neither the instance's lock
 * nor its retries, and it must not wait behind the instance's operations.
 */
import type Docker from 'dockerode';
import { KnownAgents } from '../../activities/peers/known-agents';
import { cimiClient } from '../../activities/peers/cimi';
import { createDockerClient } from '../../activities/runtime/docker/docker-client';
import { chooseKubernetesConnection, type KubernetesConnection } from '../../activities/runtime/kubernetes/kubernetes-connection';
import type { LmConfig } from '../../common/config';
import { agentLabel, type AgentEntry, type ServiceInstance } from '../../workflows/model/instance';
import { badRequest } from '../api-error';
import { readDockerLogs, type LocalWorkload } from './docker-logs';
import { readKubernetesLogs } from './kubernetes-logs';
import { LOG_LIMITS, type LogEnd, type LogLine, type LogNotice, type LogRecord, type LogRequest, type LogSink } from './log-records';
import { readRemoteLogs, type JoinedAgents } from './remote-logs';

export interface SelectedAgent {
  entry: AgentEntry;
  index: number;
  label: string;
}

/** Reads the instance again (while following) to learn whether it has ended. */
export type InstanceReader = (uuid: string) => Promise<ServiceInstance>;

/** Lexical order of RFC 3339 times needs a fraction of one width: Docker trims trailing zeros. */
function sortKey(at: string | null): string {
  if (at === null) return '';
  return at.replace(
    /(\d\d:\d\d:\d\d)(?:\.(\d+))?/,
    (_m, time: string, fraction: string | undefined) => `${time}.${(fraction ?? '').padEnd(9, '0')}`,
  );
}

export class WorkloadLogs {
  private readonly docker: Docker;
  private readonly known: KnownAgents;
  /** Chosen once, as the kubernetes runtime does: the environment of the LM's start decides. */
  private readonly kubernetes: KubernetesConnection;

  constructor(
    private readonly config: LmConfig,
    /** The agents whose LM joined this cluster: their LMs are asked for their logs (remote-logs.ts). */
    private readonly joined: JoinedAgents,
  ) {
    this.docker = createDockerClient(config.docker.socket, config.docker.timeoutMs);
    this.known = new KnownAgents(config.peerAgents, cimiClient(config));
    this.kubernetes = chooseKubernetesConnection(config.kubernetes.proxy);
  }

  /** The agents `agent` names (`<ip>#<index>`, an ip, or an index), all of them without it; 400 when none matches. */
  select(instance: ServiceInstance, agent: string | undefined): SelectedAgent[] {
    const all = instance.agents.map((entry, index) => ({ entry, index, label: agentLabel(entry, index) }));
    if (agent === undefined || agent === '') return all;
    const chosen = all.filter((a) => a.label === agent || a.entry.url === agent || String(a.index) === agent);
    if (chosen.length === 0) {
      throw badRequest(
        `agent "${agent}" is not one of the instance's agents: use ${all.map((a) => a.label).join(', ') || '(it has none)'}, an agent IP or an index`,
      );
    }
    return chosen;
  }

  /** This engine's logs of one workload (the internal endpoint serves these to the other agents' LMs). */
  readLocal(workload: LocalWorkload, request: LogRequest, sink: LogSink, signal: AbortSignal): Promise<void> {
    if (workload.execType === 'kubernetes') return readKubernetesLogs(this.config, this.kubernetes, workload, request, sink, signal);
    return readDockerLogs(this.docker, workload, request, sink, signal);
  }

  private readAgent(uuid: string, agent: SelectedAgent, request: LogRequest, sink: LogSink, signal: AbortSignal): Promise<void> {
    if (agent.entry.url === this.config.hostIp) {
      return this.readLocal(
        { uuid, index: agent.index, agentUrl: agent.entry.url, execType: agent.entry.app_type, agent: agent.label },
        request,
        sink,
        signal,
      );
    }
    return readRemoteLogs(
      this.config,
      this.known,
      this.joined,
      { uuid, index: agent.index, entry: agent.entry, agent: agent.label },
      request,
      sink,
      signal,
    );
  }

  /**
   * Writes the records of every selected agent to `write`, then one `end` record. Without follow, the lines of
   * all sources in time order; with follow, as they come, until every source ended, the instance was terminated,
   * the answer reached its size limit, or `signal` aborted (the client went away).
   */
  async stream(
    uuid: string,
    agents: SelectedAgent[],
    request: LogRequest,
    write: (record: LogRecord) => void,
    signal: AbortSignal,
    readInstance: InstanceReader,
  ): Promise<void> {
    const reading = new AbortController();
    const stopReading = () => reading.abort();
    signal.addEventListener('abort', stopReading, { once: true });
    let bytes = 0;
    let endReason: string | null = null;
    const finish = (reason: string) => {
      endReason ??= reason;
      reading.abort();
    };
    const collected: Array<LogLine | LogNotice> = [];
    const sink: LogSink = (record) => {
      if (reading.signal.aborted) return;
      bytes += record.kind === 'line' ? record.line.length + 100 : record.message.length + 100;
      if (bytes > LOG_LIMITS.maxAnswerBytes) {
        finish(`the answer reached its limit of ${LOG_LIMITS.maxAnswerBytes} bytes: ask for a smaller tail, a later since, or one agent`);
        return;
      }
      if (request.follow) write(record);
      else collected.push(record);
    };
    const watcher = request.follow ? this.watchEnd(uuid, readInstance, reading.signal, finish) : Promise.resolve();
    try {
      await Promise.all(agents.map((agent) => this.readAgent(uuid, agent, request, sink, reading.signal)));
    } finally {
      signal.removeEventListener('abort', stopReading);
      reading.abort();
      await watcher;
    }
    if (!request.follow) {
      const notices = collected.filter((r): r is LogNotice => r.kind === 'notice');
      const lines = collected.filter((r): r is LogLine => r.kind === 'line').sort((a, b) => sortKey(a.at).localeCompare(sortKey(b.at)));
      for (const record of [...notices, ...lines]) write(record);
    }
    const end: LogEnd = {
      kind: 'end',
      reason:
        endReason ??
        (signal.aborted
          ? 'the client went away'
          : request.follow
            ? 'every log of the workload ended (stopped or removed)'
            : 'all logged lines read'),
    };
    write(end);
  }

  /** While following: ends the answer once the instance is terminated (or gone). */
  private async watchEnd(uuid: string, readInstance: InstanceReader, signal: AbortSignal, finish: (reason: string) => void): Promise<void> {
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        const timer = setTimeout(wake, LOG_LIMITS.endCheckMs);
        signal.addEventListener('abort', wake, { once: true });
      });
      if (signal.aborted) return;
      try {
        const { status } = await readInstance(uuid);
        if (status === 'terminated' || status === 'forwarded') finish(`the instance is ${status}`);
      } catch {
        // Not readable for a moment (Temporal busy): the next check decides; the logs go on meanwhile.
      }
    }
  }
}
