/**
 * A Unix-socket proxy in front of the real Docker socket that a test can switch off and on: the LM sees
 * its Docker engine go away for a while, without stopping the engine other tests use.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface DockerSocketProxy {
  socketPath: string;
  /** `unix://…` for DOCKER_SOCKET. */
  url: string;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startDockerSocketProxy(target = '/var/run/docker.sock'): Promise<DockerSocketProxy> {
  const socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lm-docker-proxy-')), 'docker.sock');
  let down = false;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    url: `unix://${socketPath}`,
    setDown(value) {
      down = value;
      if (value) for (const socket of open) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
