/**
 * Runs compose for one project through the npm `docker-compose` package (no shell): always the same
 * `-p <project> -f <file> -f <override>` so every command sees exactly what deploy saw.
 */
import { ApplicationFailure } from '@temporalio/common';
import { execCompose } from 'docker-compose';
import { FailureType } from '../../../workflows/model/failures';
import { failure } from '../../failures';
import { cliEnvironment } from './cli-environment';
import { classifyComposeError } from './compose-errors';
import { composeExecutable } from './detect-compose-executable';
import type { ComposeFiles } from './instance-directory';

export interface ComposeCliOptions {
  socket: string;
  /** Bounds each Docker API call compose makes, in seconds (compose's own COMPOSE_HTTP_TIMEOUT). */
  httpTimeoutS: number;
}

/** Compose output is only read for error messages: keep its tail, not megabytes of progress lines. */
const MAX_OUTPUT_CHARS = 64 * 1024;

export class ComposeCli {
  private readonly env: NodeJS.ProcessEnv;
  /** Per project, the compose child still running (settles, never rejects). */
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly options: ComposeCliOptions) {
    this.env = cliEnvironment(options.socket, { COMPOSE_HTTP_TIMEOUT: String(options.httpTimeoutS) });
  }

  /**
   * The npm package cannot kill its child, so the deadline only stops waiting: compose's own HTTP timeout
   * bounds a hung call, and the next command of the project waits for such a straggler instead of racing it.
   */
  async run(project: string, files: ComposeFiles, args: string[], agent: string, timeoutMs: number): Promise<void> {
    const executable = await composeExecutable(this.env, agent);
    const what = `compose ${args[0]} of project ${project}`;
    await this.running.get(project);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(failure(FailureType.RuntimeUnavailable, `${what} did not finish within ${Math.round(timeoutMs / 1000)} s`)),
        timeoutMs,
      );
    });
    try {
      const child = execCompose(args[0], args.slice(1), {
        cwd: files.dir,
        config: [files.composeFile, files.overrideFile],
        composeOptions: ['--project-name', project],
        executable,
        env: this.env,
        maxOutputLength: MAX_OUTPUT_CHARS,
      });
      this.track(project, child);
      await Promise.race([child, deadline]);
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      throw classifyComposeError(err, what, this.options.socket);
    } finally {
      clearTimeout(timer);
    }
  }

  private track(project: string, child: Promise<unknown>): void {
    const settled = child.then(
      () => undefined,
      () => undefined,
    );
    this.running.set(project, settled);
    void settled.then(() => {
      if (this.running.get(project) === settled) this.running.delete(project);
    });
  }
}
