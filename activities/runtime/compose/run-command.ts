/**
 * Runs a CLI with an argument array — never through a shell (spec/original-lm.md §13 D2: the original built
 * `docker stack deploy … <service name>` as a shell string). Bounded in time and cancellable: the command runs
 * in its own process group, and a timeout or an abort (the activity cancelled) kills the whole group, so no
 * compose or docker child is left working after the activity has ended. The exit code is checked by the caller
 * from the result, and stderr is kept for its message.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when the command was killed for running past its timeout. */
  timedOut: boolean;
  /** True when the command was killed because `signal` was aborted. */
  aborted: boolean;
}

export interface CommandOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Aborting it kills the command's process group. */
  signal?: AbortSignal;
}

/** Output is read only for messages: keep the tail, not megabytes of progress lines. */
const MAX_OUTPUT_CHARS = 256 * 1024;
/** A killed group gets this long to go after SIGTERM before SIGKILL. */
const TERM_GRACE_MS = 2_000;

function appendTail(kept: string, chunk: Buffer): string {
  const text = kept + chunk.toString('utf8');
  return text.length > MAX_OUTPUT_CHARS ? text.slice(-MAX_OUTPUT_CHARS) : text;
}

/** Resolves with the outcome whatever the exit code; rejects only when the program cannot be started. */
export function runCommand(file: string, args: string[], options: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    const stop = (): void => {
      killGroup('SIGTERM');
      killTimer ??= setTimeout(() => killGroup('SIGKILL'), TERM_GRACE_MS);
    };
    const deadline = setTimeout(() => {
      timedOut = true;
      killGroup('SIGKILL');
    }, options.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      stop();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanUp = (): void => {
      clearTimeout(deadline);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.stdout.on('data', (chunk: Buffer) => (stdout = appendTail(stdout, chunk)));
    child.stderr.on('data', (chunk: Buffer) => (stderr = appendTail(stderr, chunk)));
    child.once('error', (err) => {
      cleanUp();
      // ENOENT / EACCES: the program is not there.
      reject(err);
    });
    child.once('close', (code) => {
      cleanUp();
      // What the command started in its group (a compose plugin's own children) goes with it.
      if (timedOut || aborted) killGroup('SIGKILL');
      resolve({ exitCode: code ?? -1, stdout, stderr, timedOut, aborted });
    });
  });
}

/** The last lines of a CLI's stderr: where compose and docker put the reason. */
export function stderrTail(stderr: string, maxLines = 6, maxChars = 800): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '');
  const tail = lines.slice(-maxLines).join(' | ');
  return tail.length > maxChars ? `…${tail.slice(-maxChars)}` : tail;
}
