/** A dockerode client for DOCKER_SOCKET, with a timeout on every call. */
import Docker from 'dockerode';

/** Accepts `unix:///path`, the original's `unix://var/run/docker.sock`, a bare path, or `tcp://host:port`. */
export function dockerOptions(socket: string, timeoutMs?: number): Docker.DockerOptions {
  const timeout = timeoutMs === undefined ? {} : { timeout: timeoutMs };
  if (socket.startsWith('tcp://') || socket.startsWith('http://')) {
    const url = new URL(socket.replace(/^tcp:/, 'http:'));
    return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http', ...timeout };
  }
  const path = socket.replace(/^unix:\/\//, '');
  return { socketPath: path.startsWith('/') ? path : `/${path}`, ...timeout };
}

export function createDockerClient(socket: string, timeoutMs?: number): Docker {
  return new Docker(dockerOptions(socket, timeoutMs));
}
