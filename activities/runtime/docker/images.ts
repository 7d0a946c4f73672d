/**
 * Makes sure an image is on the agent: use it if present, else pull it. A pull is bounded (LM_PULL_TIMEOUT_S
 * in all, and LM_PULL_STALL_S without any progress: a registry that accepts and never answers), reports its
 * real progress (bytes and layers) to the activity, ends at once when the activity is cancelled, and fails
 * by what the engine said: an image that is not there (or not ours to pull) fails for good, a registry that is
 * down, slow or rate-limiting is retried.
 */
import readline from 'node:readline';
import type Docker from 'dockerode';
import { FailureType } from '../../../workflows/model/failures';
import { failure } from '../../failures';
import { abortReason, NEVER_ABORTED } from '../cancellation';
import type { PullProgress } from '../workload';
import { classifyDockerError, dockerMessage, dockerStatus, isDockerUnreachable } from './docker-errors';

export interface PullLimits {
  /** The longest one pull may take. */
  timeoutMs: number;
  /** The longest a pull may go without the engine reporting anything. */
  stallMs: number;
}

export const DEFAULT_PULL_LIMITS: PullLimits = { timeoutMs: 300_000, stallMs: 60_000 };

export interface EnsureImageOptions {
  /** Without a request timeout: the pull's own limits bound it. */
  docker: Docker;
  socket: string;
  agent: string;
  limits: PullLimits;
  signal?: AbortSignal;
  onProgress?: (progress: PullProgress) => void;
}

/** The engine's words for an image that is not there, or that this agent may not pull: retrying will not help. */
const NOT_PULLABLE =
  /manifest unknown|not found|repository does not exist|pull access denied|unauthorized|denied|name unknown|invalid reference format|no such host|no matching manifest/i;
/** A registry that is busy or down for a while. */
const RATE_LIMITED = /toomanyrequests|too many requests/i;
const REGISTRY_AWAY =
  /unexpected HTTP status: 5\d\d|status code 5\d\d|timeout|timed out|deadline exceeded|connection reset|connection refused|unexpected EOF|\bEOF\b|i\/o timeout|broken pipe|temporary failure/i;

/** How a failed pull is classified, from the engine's message (it answers registry problems as HTTP 500). */
export function pullFailure(image: string, agent: string, engineMessage: string, cause?: unknown): Error {
  const message = engineMessage.trim();
  const fix = `Load the image on that agent (docker pull / docker load) or fix the service's "exec"`;
  if (RATE_LIMITED.test(message)) {
    return failure(
      FailureType.RuntimeUnavailable,
      `pulling image "${image}" on agent ${agent}: the registry is rate-limiting (${message}); retried with backoff`,
      cause,
    );
  }
  if (NOT_PULLABLE.test(message)) {
    return failure(FailureType.ImageNotFound, `image "${image}" is not on agent ${agent} and cannot be pulled: ${message}. ${fix}`, cause);
  }
  if (REGISTRY_AWAY.test(message)) {
    return failure(
      FailureType.RuntimeUnavailable,
      `pulling image "${image}" on agent ${agent}: the registry did not answer properly (${message}); retried`,
      cause,
    );
  }
  return failure(FailureType.ImageNotFound, `image "${image}" is not on agent ${agent} and pulling it failed: ${message}. ${fix}`, cause);
}

/** One line of the engine's pull stream. */
interface PullEvent {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/** Adds the stream's events up to bytes and layers. */
class PullTally {
  private readonly layers = new Map<string, { current: number; total: number; done: boolean }>();

  constructor(private readonly image: string) {}

  add(event: PullEvent): void {
    const { id, status = '' } = event;
    // Lines without a layer id are the header and the summary.
    if (id === undefined || /^Pulling from /.test(status)) return;
    const layer = this.layers.get(id) ?? { current: 0, total: 0, done: false };
    if (status === 'Downloading') {
      layer.current = event.progressDetail?.current ?? layer.current;
      layer.total = event.progressDetail?.total ?? layer.total;
    } else if (status === 'Download complete' || status === 'Verifying Checksum') {
      layer.current = layer.total;
    } else if (status === 'Pull complete' || status === 'Already exists') {
      layer.current = layer.total;
      layer.done = true;
    }
    this.layers.set(id, layer);
  }

  progress(): PullProgress {
    const layers = [...this.layers.values()];
    const totalBytes = layers.reduce((sum, l) => sum + l.total, 0);
    const bytes = layers.reduce((sum, l) => sum + Math.min(l.current, l.total), 0);
    const layersDone = layers.filter((l) => l.done).length;
    const sized = layers.length > 0 && layers.every((l) => l.total > 0 || l.done);
    const percent =
      layers.length > 0 && layersDone === layers.length ? 100 : sized && totalBytes > 0 ? Math.floor((bytes / totalBytes) * 100) : null;
    return { kind: 'pull', image: this.image, layers: layers.length, layersDone, bytes, totalBytes, percent };
  }
}

export function describePull(progress: PullProgress): string {
  const mb = (bytes: number): string => (bytes / 1_000_000).toFixed(1);
  const size =
    progress.totalBytes > 0
      ? ` (${mb(progress.bytes)} of ${mb(progress.totalBytes)} MB, ${progress.layersDone}/${progress.layers} layers)`
      : '';
  return `pulling image ${progress.image} … ${progress.percent === null ? 'started' : `${progress.percent}%`}${size}`;
}

type Interruption = 'deadline' | 'stall';

export async function ensureImage(image: string, options: EnsureImageOptions): Promise<void> {
  const { docker, socket, agent, limits, signal = NEVER_ABORTED, onProgress } = options;
  try {
    await docker.getImage(image).inspect();
    return;
  } catch (err) {
    if (dockerStatus(err) !== 404) throw classifyDockerError(err, `inspect image ${image}`, socket);
  }
  const tally = new PullTally(image);
  const own = new AbortController();
  let interruption: Interruption | null = null;
  const interrupt = (why: Interruption): void => {
    interruption ??= why;
    own.abort();
  };
  const deadline = setTimeout(() => interrupt('deadline'), limits.timeoutMs);
  let stall = setTimeout(() => interrupt('stall'), limits.stallMs);
  const alive = (): void => {
    clearTimeout(stall);
    stall = setTimeout(() => interrupt('stall'), limits.stallMs);
  };
  let streamError: string | null = null;
  try {
    onProgress?.(tally.progress());
    // Aborting the request ends the pull stream; the engine then stops a pull nobody else waits for.
    const stream = await docker.pull(image, { abortSignal: AbortSignal.any([signal, own.signal]) });
    alive();
    await new Promise<void>((resolve, reject) => {
      const lines = readline.createInterface({ input: stream });
      lines.on('line', (line) => {
        let event: PullEvent;
        try {
          event = JSON.parse(line) as PullEvent;
        } catch {
          return;
        }
        alive();
        if (event.error !== undefined) streamError = event.errorDetail?.message ?? event.error;
        tally.add(event);
        onProgress?.(tally.progress());
      });
      lines.on('error', reject);
      lines.on('close', resolve);
      stream.on('error', reject);
    });
  } catch (err) {
    if (signal.aborted) throw abortReason(signal);
    if (interruption === null) {
      if (isDockerUnreachable(err)) throw classifyDockerError(err, `pull image ${image}`, socket);
      throw pullFailure(image, agent, dockerMessage(err), err);
    }
  } finally {
    clearTimeout(deadline);
    clearTimeout(stall);
  }
  if (signal.aborted) throw abortReason(signal);
  if (interruption !== null) throw interrupted(image, agent, interruption, limits, tally.progress());
  if (streamError !== null) throw pullFailure(image, agent, streamError);
}

function interrupted(image: string, agent: string, why: Interruption, limits: PullLimits, progress: PullProgress): Error {
  const seen = progress.layers > 0 ? `; it had got as far as ${describePull(progress).replace(/^pulling image \S+ … /, '')}` : '';
  const message =
    why === 'deadline'
      ? `pulling image "${image}" on agent ${agent} did not finish within ${Math.round(limits.timeoutMs / 1000)} s (LM_PULL_TIMEOUT_S)${seen}`
      : `pulling image "${image}" on agent ${agent} made no progress for ${Math.round(limits.stallMs / 1000)} s (LM_PULL_STALL_S): the registry does not answer${seen}`;
  return failure(FailureType.RuntimeUnavailable, `${message}; retried`);
}
