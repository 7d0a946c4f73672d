/** How lmctl prints: tables and colours for people (colours only on a TTY), JSON for programs. */
import Table from 'cli-table3';
import pc from 'picocolors';
import type { InstanceStatus } from '../workflows/model/status';

/**
 * Colours only for a person at a terminal. picocolors alone also turns them on whenever `CI` is set, which puts
 * escape codes into a script's pipe; NO_COLOR and FORCE_COLOR keep their usual meaning.
 */
export function wantsColour(env: NodeJS.ProcessEnv, stdout: { isTTY?: boolean }): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return Boolean(stdout.isTTY) && env.TERM !== 'dumb';
}

export const colour = pc.createColors(wantsColour(process.env, process.stdout));

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function statusText(status: string): string {
  const good: readonly string[] = ['started', 'terminated'];
  const bad: readonly string[] = ['error', 'degraded', 'error-starting', 'error-stopping', 'unknown', 'not-deployed'];
  if (good.includes(status)) return colour.green(status);
  if (bad.includes(status)) return colour.red(status);
  if (status === 'stopped') return colour.yellow(status);
  return colour.cyan(status);
}

export function isSettledWell(status: InstanceStatus, wanted: readonly InstanceStatus[]): boolean {
  return wanted.includes(status);
}

/** `3s`, `5m`, `2h`, `4d`: how long ago `iso` was. */
export function age(iso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** A borderless table, as `docker ps` prints. */
export function table(head: string[], rows: string[][]): string {
  const t = new Table({
    head: head.map((h) => colour.bold(h)),
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  t.push(...rows);
  return t.toString();
}
