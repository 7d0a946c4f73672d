/**
 * A Unix-socket proxy in front of the real Docker socket that a test can switch off and on: the LM sees
 * its Docker engine go away for a while, without stopping the engine other tests use. It can also hold the
 * engine's answer to one request: the engine does what was asked, the caller never hears it.
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
  /**
   * The next request whose request line (`POST /v1.41/containers/create?name=…`) matches `pattern` reaches the
   * engine, but nothing more comes back on its connection. Resolves once such a request has been sent.
   */
  holdAnswerTo(pattern: RegExp): Promise<void>;
  close(): Promise<void>;
}

export async function startDockerSocketProxy(target = '/var/run/docker.sock'): Promise<DockerSocketProxy> {
  const socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lm-docker-proxy-')), 'docker.sock');
  let down = false;
  let hold: { pattern: RegExp; held: () => void } | null = null;
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
    let muted = false;
    client.on('data', (chunk: Buffer) => {
      const armed = hold;
      if (
        armed !== null &&
        chunk
          .toString('latin1')
          .split('\r\n')
          .some((line) => armed.pattern.test(line))
      ) {
        hold = null;
        muted = true;
        armed.held();
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!muted) client.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    url: `unix://${socketPath}`,
    setDown(value) {
      down = value;
      if (value) for (const socket of open) socket.destroy();
    },
    holdAnswerTo: (pattern) => new Promise<void>((held) => (hold = { pattern, held })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
