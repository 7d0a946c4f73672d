/**
 * The environment the compose and docker CLIs run with. Minimal on purpose: compose interpolates `${VAR}` from
 * it into the user's file, so the LM's own variables (LM_API_TOKEN…) must not be there to leak into containers.
 */

/** What the CLIs themselves need: where they are, their config, locale and TLS settings. */
const PASSED_THROUGH = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'DOCKER_CONFIG', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY'];

/** DOCKER_SOCKET in the form the CLIs understand as DOCKER_HOST (`unix:///path` or `tcp://host:port`). */
export function dockerHostOf(socket: string): string {
  if (socket.startsWith('tcp://')) return socket;
  if (socket.startsWith('http://')) return socket.replace(/^http:/, 'tcp:');
  const path = socket.replace(/^unix:\/\//, '');
  return `unix://${path.startsWith('/') ? path : `/${path}`}`;
}

export function cliEnvironment(socket: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED_THROUGH) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, DOCKER_HOST: dockerHostOf(socket), ...extra };
}
