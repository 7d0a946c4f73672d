/**
 * A container registry on loopback that speaks enough of the registry v2 API for `docker pull` (no registry is
 * reachable from these machines): it serves a small image made offline (a busybox root filesystem and some
 * incompressible padding, so a pull takes a few progress steps) under any repository name, each repository's
 * with a layer of its own (so no pull finds its layer already on the engine), and misbehaves on
 * demand per repository: manifests unknown, unauthorized, 5xx or 429 for the first n requests, a manifest
 * request accepted and never answered, or a layer dripped slowly. The Docker engine treats 127.0.0.0/8 as an
 * insecure registry, so it pulls from here over plain HTTP.
 */
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { busyboxRootfs } from './test-images';

export type RegistryMode =
  | { kind: 'serve' }
  /** The manifest request is accepted and never answered. */
  | { kind: 'hang' }
  | { kind: 'not-found' }
  | { kind: 'unauthorized' }
  /** The first `times` manifest requests answer `status` (500, 503, 429), the later ones serve. */
  | { kind: 'fail'; status: number; times: number }
  /** The layer is sent `bytesPerTick` at a time, every `tickMs`. */
  | { kind: 'slow'; bytesPerTick: number; tickMs: number };

export interface RegistryStandIn {
  /** `127.0.0.1:<port>` */
  host: string;
  /** A reference the engine pulls from here, e.g. `127.0.0.1:5123/lm-test/pulled-<run>:1`. */
  reference(repository: string, tag?: string): string;
  setMode(repository: string, mode: RegistryMode): void;
  /** Manifest requests seen for `repository` (HEAD and GET). */
  manifestRequests(repository: string): number;
  /**
   * Manifest requests of hanging repositories whose connection is still open. (The Docker engine 20.10 keeps
   * such a request open even after its own client went away: only the LM's side of a hung pull can end.)
   */
  hangingRequests(repository: string): number;
  /** Layers of `repository` being dripped right now: the engine closes these as soon as nobody waits for the pull. */
  dripsInFlight(repository: string): number;
  /** The size in bytes of a repository's layer, as its manifest declares it. */
  layerSize(repository: string): number;
  close(): Promise<void>;
}

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
const CONFIG_TYPE = 'application/vnd.docker.container.image.v1+json';
const LAYER_TYPE = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const PADDING_BYTES = 3 * 1024 * 1024;

const digestOf = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

interface ImageBlobs {
  manifest: Buffer;
  blobs: Map<string, Buffer>;
  layerDigest: string;
  layerSize: number;
}

/** The image: one gzipped layer (busybox and padding) and its config, made here without any engine. */
function makeImage(): ImageBlobs {
  const root = busyboxRootfs();
  try {
    fs.writeFileSync(path.join(root, 'padding.bin'), randomBytes(PADDING_BYTES));
    const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 256 * 1024 * 1024 });
    if (tar.status !== 0) throw new Error(`tar of ${root} failed: ${tar.stderr.toString()}`);
    const layer = zlib.gzipSync(tar.stdout);
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: ['/bin/sh', '-c', "trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait"] },
        rootfs: { type: 'layers', diff_ids: [digestOf(tar.stdout)] },
        history: [{ created_by: 'lm test registry stand-in' }],
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST_TYPE,
        config: { mediaType: CONFIG_TYPE, size: config.length, digest: digestOf(config) },
        layers: [{ mediaType: LAYER_TYPE, size: layer.length, digest: digestOf(layer) }],
      }),
    );
    return {
      manifest,
      blobs: new Map([
        [digestOf(config), config],
        [digestOf(layer), layer],
      ]),
      layerDigest: digestOf(layer),
      layerSize: layer.length,
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function registryError(res: http.ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Docker-Distribution-API-Version': 'registry/2.0' });
  res.end(JSON.stringify({ errors: [{ code, message, detail: null }] }));
}

export async function startRegistryStandIn(): Promise<RegistryStandIn> {
  const images = new Map<string, ImageBlobs>();
  const imageOf = (repository: string): ImageBlobs => {
    let image = images.get(repository);
    if (image === undefined) {
      image = makeImage();
      images.set(repository, image);
    }
    return image;
  };
  const modes = new Map<string, RegistryMode>();
  const manifestCounts = new Map<string, number>();
  const failures = new Map<string, number>();
  const hanging = new Map<Socket, string>();
  const drips = new Map<NodeJS.Timeout, string>();
  const countOf = (entries: Map<unknown, string>, repository: string): number =>
    [...entries.values()].filter((r) => r === repository).length;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://registry');
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Docker-Distribution-API-Version': 'registry/2.0' });
      res.end('{}');
      return;
    }
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (manifest) {
      const repository = manifest[1];
      manifestCounts.set(repository, (manifestCounts.get(repository) ?? 0) + 1);
      const mode = modes.get(repository) ?? { kind: 'serve' };
      if (mode.kind === 'hang') {
        hanging.set(req.socket, repository);
        req.socket.once('close', () => hanging.delete(req.socket));
        return;
      }
      if (mode.kind === 'not-found') return registryError(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
      if (mode.kind === 'unauthorized') return registryError(res, 401, 'UNAUTHORIZED', 'authentication required');
      if (mode.kind === 'fail') {
        const failed = failures.get(repository) ?? 0;
        if (failed < mode.times) {
          failures.set(repository, failed + 1);
          if (mode.status === 429) return registryError(res, 429, 'TOOMANYREQUESTS', 'too many requests');
          return registryError(res, mode.status, 'UNAVAILABLE', 'service unavailable');
        }
      }
      const { manifest: body } = imageOf(repository);
      res.writeHead(200, { 'Content-Type': MANIFEST_TYPE, 'Content-Length': body.length, 'Docker-Content-Digest': digestOf(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const blob = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
    const data = blob ? imageOf(blob[1]).blobs.get(blob[2]) : undefined;
    if (!blob || data === undefined) return registryError(res, 404, 'BLOB_UNKNOWN', 'blob unknown');
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length, 'Docker-Content-Digest': blob[2] });
    const mode = modes.get(blob[1]) ?? { kind: 'serve' };
    if (req.method === 'HEAD') return void res.end();
    if (mode.kind !== 'slow' || blob[2] !== imageOf(blob[1]).layerDigest) return void res.end(data);
    let sent = 0;
    const drip = setInterval(() => {
      const chunk = data.subarray(sent, sent + mode.bytesPerTick);
      sent += chunk.length;
      if (sent >= data.length) {
        clearInterval(drip);
        drips.delete(drip);
        res.end(chunk);
      } else res.write(chunk);
    }, mode.tickMs);
    drips.set(drip, blob[1]);
    res.once('close', () => {
      clearInterval(drip);
      drips.delete(drip);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    reference: (repository, tag = '1') => `${host}/${repository}:${tag}`,
    setMode: (repository, mode) => {
      modes.set(repository, mode);
      failures.delete(repository);
    },
    manifestRequests: (repository) => manifestCounts.get(repository) ?? 0,
    hangingRequests: (repository) => countOf(hanging, repository),
    dripsInFlight: (repository) => countOf(drips, repository),
    layerSize: (repository) => imageOf(repository).layerSize,
    close: () =>
      new Promise<void>((resolve) => {
        for (const drip of drips.keys()) clearInterval(drip);
        for (const socket of hanging.keys()) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
