/** `scripts/start.sh` as a user runs it, in a child process whose output the test reads. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from './temporal-binary';

export interface StartScript {
  process: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the script has ended. */
  exited: Promise<number | null>;
  /** Waits until the output says `text`, failing with the output if the script ends first. */
  waitFor(text: string, timeoutMs: number): Promise<void>;
  /** SIGTERM (it stops what it started) and waits for the end. */
  stop(): Promise<void>;
}

export function runStartScript(args: string[], env: NodeJS.ProcessEnv): StartScript {
  const child = spawn('bash', [path.join(PROJECT_ROOT, 'scripts', 'start.sh'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    output: () => output,
    exited,
    waitFor: async (text, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        const why =
          child.exitCode !== null ? `it exited with ${child.exitCode}` : Date.now() > deadline ? `not within ${timeoutMs} ms` : null;
        if (why !== null) throw new Error(`start.sh did not say "${text}": ${why}\n--- start.sh output:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
