/** Answers "is the local Docker engine up?" quickly, so a submit fails with 503 instead of waiting in a queue. */
import type Docker from 'dockerode';
import { createDockerClient } from '../activities/runtime/docker/docker-client';

const PROBE_TIMEOUT_MS = 3_000;
const CACHE_MS = 2_000;

export class DockerProbe {
  private readonly docker: Docker;
  private last: { at: number; error: string | null } | null = null;

  constructor(readonly socket: string) {
    this.docker = createDockerClient(socket, PROBE_TIMEOUT_MS);
  }

  /** Null when Docker answers, else why it does not. */
  async problem(): Promise<string | null> {
    if (this.last && Date.now() - this.last.at < CACHE_MS) return this.last.error;
    let error: string | null = null;
    try {
      await this.docker.ping();
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    this.last = { at: Date.now(), error };
    return error;
  }
}
