/**
 * A registry on loopback that answers Docker's version check and never answers a manifest: an image pulled
 * from it hangs, as a pull from a registry that stopped answering does. Docker treats 127.0.0.0/8 registries
 * as insecure (plain HTTP) by default, so nothing needs configuring.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface HangingRegistry {
  /** `127.0.0.1:<port>/lm-test/hangs:1`: an image reference whose pull never ends. */
  image: string;
  /** Manifest requests received so far. */
  manifestRequests(): number;
  close(): Promise<void>;
}

export async function startHangingRegistry(): Promise<HangingRegistry> {
  let manifests = 0;
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    if (req.url === '/v2/' || req.url === '/v2') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Docker-Distribution-API-Version': 'registry/2.0' });
      res.end('{}');
      return;
    }
    // Accepted and never answered.
    if (/\/manifests\//.test(req.url ?? '')) manifests += 1;
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    image: `127.0.0.1:${port}/lm-test/hangs:1`,
    manifestRequests: () => manifests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
