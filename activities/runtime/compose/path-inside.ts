/** Where a compose file's host path really points, and whether that stays inside the instance directory. */
import path from 'node:path';

/**
 * Compose resolves relative host paths against the project directory (the instance directory); `~` is the
 * home of whoever runs compose, which is never inside it.
 */
export function resolvesInside(instanceDir: string, hostPath: string): boolean {
  if (hostPath.startsWith('~')) return false;
  const root = path.resolve(instanceDir);
  const resolved = path.resolve(root, hostPath);
  return resolved === root || resolved.startsWith(root + path.sep);
}

/** Short volume syntax: the source is a host path when it starts with `.`, `/` or `~`, or has a `/` in it. */
export function isHostPath(source: string): boolean {
  return /^[./~]/.test(source) || source.includes('/');
}

/** A build context that is fetched, not read from the agent's disk. */
export function isRemoteContext(context: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith('git@') || context.startsWith('github.com/');
}
