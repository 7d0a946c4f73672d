/**
 * Test images, built offline (no registry is reachable): a root filesystem holding Debian's busybox-static,
 * imported with `docker import`. Its CMD serves HTTP and exits at once on SIGTERM, like a well-behaved service.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BUSYBOX_IMAGE = 'lm-test/busybox:latest';
const BUSYBOX_BINARY = '/bin/busybox';
const APPLETS = ['sh', 'httpd', 'sleep', 'cat', 'echo', 'ls', 'env', 'wget', 'nc', 'mkdir', 'date', 'tee', 'kill'];
const SERVE_CMD = '["/bin/sh","-c","trap \'exit 0\' TERM; httpd -f -p ${PORT:-80} -h /www & wait"]';

export function imageExists(image: string): boolean {
  return spawnSync('docker', ['image', 'inspect', image], { stdio: 'ignore' }).status === 0;
}

/** A rootfs directory with busybox and its applets, plus whatever `files` says (path → content, mode). */
export function busyboxRootfs(files: Record<string, { content: string; mode?: number }> = {}): string {
  if (!fs.existsSync(BUSYBOX_BINARY)) {
    throw new Error(`${BUSYBOX_BINARY} is missing: install Debian's busybox-static (scripts/test.sh does)`);
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-rootfs-'));
  fs.mkdirSync(path.join(root, 'bin'));
  fs.mkdirSync(path.join(root, 'www'));
  fs.mkdirSync(path.join(root, 'tmp'), { mode: 0o1777 });
  fs.copyFileSync(BUSYBOX_BINARY, path.join(root, 'bin', 'busybox'));
  fs.chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
  for (const applet of APPLETS) fs.symlinkSync('busybox', path.join(root, 'bin', applet));
  fs.writeFileSync(path.join(root, 'www', 'index.html'), 'lm-test\n');
  for (const [file, { content, mode }] of Object.entries(files)) {
    const target = path.join(root, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content, { mode: mode ?? 0o644 });
  }
  return root;
}

/** `docker import` of a root filesystem directory, with the given CMD (a JSON array string). */
export function importRootfs(root: string, image: string, cmdJson: string): void {
  const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 256 * 1024 * 1024 });
  if (tar.status !== 0) throw new Error(`tar of ${root} failed: ${tar.stderr.toString()}`);
  const result = spawnSync('docker', ['import', '--change', `CMD ${cmdJson}`, '-', image], { input: tar.stdout });
  if (result.status !== 0) throw new Error(`docker import of ${image} failed: ${result.stderr.toString()}`);
}

export function ensureBusyboxImage(): string {
  if (imageExists(BUSYBOX_IMAGE)) return BUSYBOX_IMAGE;
  const root = busyboxRootfs();
  try {
    importRootfs(root, BUSYBOX_IMAGE, SERVE_CMD);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return BUSYBOX_IMAGE;
}

/** A busybox image tagged `tag` whose command is `cmd` (a JSON array), made once. */
function ensureCommandImage(tag: string, cmd: string): string {
  if (imageExists(tag)) return tag;
  const root = busyboxRootfs();
  try {
    importRootfs(root, tag, cmd);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return tag;
}

export const EXITING_IMAGE = 'lm-test/exits:latest';

/** An image whose command fails at once (exit code 3): a service that cannot start. */
export function ensureExitingImage(): string {
  return ensureCommandImage(EXITING_IMAGE, '["/bin/sh","-c","exit 3"]');
}

export const EXITS_LATER_IMAGE = 'lm-test/exits-later:1';

/** A service that runs for two seconds, then fails (exit code 4): past a short minimum run time, before a long one. */
export function ensureExitsLaterImage(): string {
  return ensureCommandImage(EXITS_LATER_IMAGE, '["/bin/sh","-c","sleep 2; exit 4"]');
}

/** Tagged with the handler's version: a machine holding an older stand-in builds this one beside it. */
export const HEALTH_CHECKED_IMAGE = 'lm-test/health-checked:1';

/**
 * The busybox service with a HEALTHCHECK that passes while /tmp/healthy exists (it does not at start), checked
 * every second. Built with `docker build` from the imported image: no registry, no RUN step.
 */
export function ensureHealthCheckedImage(): string {
  if (imageExists(HEALTH_CHECKED_IMAGE)) return HEALTH_CHECKED_IMAGE;
  const dockerfile = `FROM ${ensureBusyboxImage()}\nHEALTHCHECK --interval=1s --timeout=1s --retries=1 CMD ["cat", "/tmp/healthy"]\n`;
  // The classic builder needs nothing beyond the engine (BuildKit may be absent on these machines).
  const result = spawnSync('docker', ['build', '-q', '-t', HEALTH_CHECKED_IMAGE, '-'], {
    input: dockerfile,
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
  });
  if (result.status !== 0) throw new Error(`docker build of ${HEALTH_CHECKED_IMAGE} failed: ${result.stderr.toString()}`);
  return HEALTH_CHECKED_IMAGE;
}

export const COMPSS_IMAGE = 'lm-test/compss-agent:2';

/**
 * A COMPSs agent stand-in: busybox `nc -ll` runs a shell handler per connection on AGENT_PORT. It records
 * every request (GET /requests returns them), answers startApplication with an application id > 2^53 and
 * the elasticity calls (addResources, removeNode) with 200 and an empty body, as a COMPSs agent does.
 */
const COMPSS_HANDLER = `#!/bin/sh
read -r method path proto
length=0
while read -r line; do
  line=$(printf '%s' "$line" | tr -d '\\r')
  [ -z "$line" ] && break
  case "$line" in [Cc]ontent-[Ll]ength:*) length=$(echo "\${line#*:}" | tr -d ' ') ;; esac
done
body=""
[ "$length" -gt 0 ] && body=$(head -c "$length")
answer() { printf 'HTTP/1.1 %s\\r\\nContent-Type: text/plain\\r\\nContent-Length: %s\\r\\nConnection: close\\r\\n\\r\\n%s' "$1" "\${#2}" "$2"; }
case "$path" in
  /requests) answer "200 OK" "$(cat /tmp/requests.log 2>/dev/null)" ;;
  /COMPSs/startApplication*)
    count=$(cat /tmp/count 2>/dev/null || echo 0); count=$((count + 1)); echo "$count" > /tmp/count
    printf '%s %s %s\\n%s\\n' "$method" "$path" "$(env | grep -E '^(MF2C_HOST|AGENT_HOST|AGENT_PORT|DATACLAY_EP|REPORT_ADDRESS)=' | sort | tr '\\n' ' ')" "$body" >> /tmp/requests.log
    answer "200 OK" "$((5217640153219234015 + count))" ;;
  /COMPSs/addResources*|/COMPSs/removeNode*)
    printf '%s %s\\n%s\\n' "$method" "$path" "$body" >> /tmp/requests.log
    answer "200 OK" "" ;;
  /COMPSs/test*) answer "200 OK" "ok" ;;
  *) answer "404 Not Found" "no such path" ;;
esac
`;

export function ensureCompssImage(): string {
  if (imageExists(COMPSS_IMAGE)) return COMPSS_IMAGE;
  const root = busyboxRootfs({ 'compss-handler.sh': { content: COMPSS_HANDLER, mode: 0o755 } });
  for (const applet of ['tr', 'head', 'grep', 'sort']) fs.symlinkSync('busybox', path.join(root, 'bin', applet));
  try {
    importRootfs(root, COMPSS_IMAGE, `["/bin/sh","-c","trap 'exit 0' TERM; nc -ll -p \${AGENT_PORT:-46100} -e /compss-handler.sh & wait"]`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return COMPSS_IMAGE;
}

/**
 * What the COMPSs stand-in of an instance's agent has received. Its host port is read from the instance, not
 * assumed to be 46100: a leftover of another suite holding 46100 moves the new master to the next free port.
 */
export async function compssRequests(instance: { agents: { ports: number[] }[] }, agent = 0): Promise<string> {
  const port = instance.agents[agent]?.ports[0];
  if (port === undefined) throw new Error(`agent ${agent} of the instance has no host port`);
  return (await fetch(`http://127.0.0.1:${port}/requests`)).text();
}

export const LOGGING_IMAGE = 'lm-test/logger:1';

/**
 * A service that logs: one known line on stdout and one on stderr at start, then `tick <n>` every half second
 * (so a follower sees new lines), and exits at once on SIGTERM.
 */
export function ensureLoggingImage(): string {
  if (imageExists(LOGGING_IMAGE)) return LOGGING_IMAGE;
  const script = `#!/bin/sh
trap 'exit 0' TERM
echo "hello from stdout"
echo "hello from stderr" >&2
i=0
while :; do i=$((i + 1)); echo "tick $i"; sleep 0.5 & wait $!; done
`;
  const root = busyboxRootfs({ 'log.sh': { content: script, mode: 0o755 } });
  try {
    importRootfs(root, LOGGING_IMAGE, '["/log.sh"]');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return LOGGING_IMAGE;
}
