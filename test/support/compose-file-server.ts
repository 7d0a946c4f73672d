/**
 * A local HTTP server that serves compose files to the LM in tests (no registry or remote host is reachable):
 * `/files/<name>` serves what `put` stored; `/status/<code>`, `/redirect/<n>`, `/redirect-to?url=`, `/slow`,
 * `/large` and `/credentials` (a JSON answer that is not a compose file) misbehave on demand.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';

export interface ComposeFileServer {
  baseUrl: string;
  /** Serves `text` at the returned URL. */
  put(name: string, text: string): string;
  /** How many times each file was fetched. */
  hits(name: string): number;
  close(): Promise<void>;
}

export async function startComposeFileServer(): Promise<ComposeFileServer> {
  const files = new Map<string, string>();
  const counts = new Map<string, number>();
  const app = express();
  app.get('/files/:name', (req, res) => {
    const name = req.params.name;
    counts.set(name, (counts.get(name) ?? 0) + 1);
    const text = files.get(name);
    if (text === undefined) res.status(404).send('no such file');
    else res.type('text/yaml').send(text);
  });
  app.get('/status/:code', (req, res) => {
    res.status(Number(req.params.code)).send(`status ${req.params.code}`);
  });
  app.get('/redirect/:n', (req, res) => {
    const n = Number(req.params.n);
    res.redirect(302, n > 1 ? `/redirect/${n - 1}` : '/files/redirected.yml');
  });
  app.get('/slow', (_req, res) => {
    // Starts answering, then drips: only a whole-request deadline ends it.
    res.type('text/yaml').write('services:\n');
    const timer = setInterval(() => res.write('#\n'), 200);
    res.on('close', () => clearInterval(timer));
  });
  // Somewhere else (e.g. a metadata address): a redirect the LM must check before following.
  app.get('/redirect-to', (req, res) => {
    res.redirect(302, String(req.query.url));
  });
  // What a metadata service answers: JSON, not a compose file; no message may quote it.
  app.get('/credentials', (_req, res) => {
    res.json({ AccessKeyId: 'AKIA-SECRET-KEY-ID', SecretAccessKey: 'hunter2-secret', Token: 'session-token-secret' });
  });
  app.get('/large', (_req, res) => {
    res.type('text/yaml').send(`services:\n  web:\n    image: a\n${'# padding\n'.repeat(200_000)}`);
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    put(name, text) {
      files.set(name, text);
      return `${baseUrl}/files/${name}`;
    },
    hits: (name) => counts.get(name) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
