/**
 * Runs a CLI with an argument array — never through a shell (spec/original-lm.md §13 D2: the original built
 * `docker stack deploy … <service name>` as a shell string). Bounded in time; the exit code is checked by the
 * caller from the result, and stderr is kept for its message.
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when the command was killed for running past its timeout. */
  timedOut: boolean;
}

export interface CommandOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Resolves with the outcome whatever the exit code; rejects only when the program cannot be started. */
export function runCommand(file: string, args: string[], options: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES, env: options.env, cwd: options.cwd, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof error.code === 'string') {
          // ENOENT / EACCES: the program is not there; anything else is an exit status.
          if (error.code === 'ENOENT' || error.code === 'EACCES') {
            reject(error);
            return;
          }
        }
        const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ exitCode, stdout, stderr, timedOut: error?.killed === true && error.signal === 'SIGKILL' });
      },
    );
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
