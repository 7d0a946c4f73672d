/** How lmctl prints: tables and colours for people (colours only on a TTY, as picocolors decides), JSON for programs. */
import Table from 'cli-table3';
import pc from 'picocolors';
import type { InstanceStatus } from '../workflows/model/status';

export const colour = pc;

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function statusText(status: string): string {
  const good: readonly string[] = ['started', 'terminated'];
  const bad: readonly string[] = ['error', 'degraded', 'error-starting', 'error-stopping', 'unknown', 'not-deployed'];
  if (good.includes(status)) return pc.green(status);
  if (bad.includes(status)) return pc.red(status);
  if (status === 'stopped') return pc.yellow(status);
  return pc.cyan(status);
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
    head: head.map((h) => pc.bold(h)),
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
