/**
 * The LM as one container (the image's command): its worker and its REST API, each its own Node process as
 * scripts/start.sh runs them. When either ends the other is stopped and the container exits with the first one's
 * code, so Docker's restart policy brings both back instead of leaving half an LM running. SIGTERM/SIGINT (docker
 * stop) are passed on and both get their graceful shutdown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** docker stop waits 10 s by default: the children get most of it, then are killed. */
const STOP_GRACE_MS = 8_000;

const dist = path.resolve(__dirname, '..');
const children = new Map<string, ChildProcess>();
let stopping = false;

function stopAll(signal: NodeJS.Signals): void {
  stopping = true;
  for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  setTimeout(() => {
    for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, STOP_GRACE_MS).unref();
}

function run(name: string, main: string): void {
  const child = spawn(process.execPath, [path.join(dist, main)], { stdio: 'inherit', env: process.env });
  children.set(name, child);
  child.once('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      console.error(`lm-container: the LM ${name} ended (${signal ?? `exit code ${code ?? 0}`}); stopping the rest`);
      process.exitCode = code === null || code === 0 ? 1 : code;
      stopAll('SIGTERM');
    }
    if (children.size === 0) process.exit();
  });
}

process.on('SIGTERM', () => stopAll('SIGTERM'));
process.on('SIGINT', () => stopAll('SIGINT'));
run('worker', 'worker/main.js');
run('api', 'api/main.js');
