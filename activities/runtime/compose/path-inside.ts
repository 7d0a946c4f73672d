/**
 * Where a compose file's host path really points, and whether that stays inside the instance directory: first as
 * text (all the API can know), then on the agent's disk, following symbolic links the way the kernel does when
 * the engine mounts the path. A container that can write under the instance directory can plant a link there, so
 * the disk check runs again before every `up`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** Why `hostPath` may not be used as written, or null. Relative paths are the instance directory's. */
export function hostPathProblem(instanceDir: string, hostPath: string): string | null {
  if (hostPath.startsWith('~')) return 'is in the home directory of whoever runs compose';
  // With a symbolic link on the way, ".." is the parent of the link's target, not of the link: never guess.
  if (hostPath.split('/').includes('..')) return 'contains ".."';
  return isInside(path.resolve(instanceDir), path.resolve(instanceDir, hostPath)) ? null : 'is outside the instance directory';
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** Short volume syntax: the source is a host path when it starts with `.`, `/` or `~`, or has a `/` in it. */
export function isHostPath(source: string): boolean {
  return /^[./~]/.test(source) || source.includes('/');
}

/** Symbolic links followed before the walk gives up, as the kernel's own limit. */
const MAX_LINKS = 40;

/**
 * The path the kernel reaches for `absolute`: every existing component's links followed (a dangling link too:
 * the engine would create its target), components that do not exist yet kept as written.
 */
export async function physicalPath(absolute: string): Promise<string> {
  let current = path.parse(absolute).root;
  const pending = absolute.split(path.sep).filter((part) => part !== '');
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      current = path.dirname(current);
      continue;
    }
    const next = path.join(current, part);
    let isLink: boolean;
    try {
      isLink = (await fs.lstat(next)).isSymbolicLink();
    } catch {
      return path.join(next, ...pending); // nothing exists from here on, so no link can redirect it
    }
    if (!isLink) {
      current = next;
      continue;
    }
    links += 1;
    if (links > MAX_LINKS) throw new Error(`${absolute}: more than ${MAX_LINKS} symbolic links`);
    const target = await fs.readlink(next);
    pending.unshift(...target.split(path.sep).filter((p) => p !== ''));
    if (path.isAbsolute(target)) current = path.parse(target).root;
  }
  return current;
}

/** Where `hostPath` leads on this disk when it leaves the instance directory's real location, or null. */
export async function physicalEscape(instanceDir: string, hostPath: string): Promise<string | null> {
  const root = await physicalPath(path.resolve(instanceDir));
  const target = await physicalPath(path.resolve(instanceDir, hostPath));
  return isInside(root, target) ? null : target;
}
