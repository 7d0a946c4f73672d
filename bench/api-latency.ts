/**
 * bench/api-latency: GET of one instance (a Temporal query answered by the worker) and of a page of the listing
 * (Temporal visibility), under C concurrent clients for D seconds, against a bare Express server answering the
 * same JSON in the same run. Usage: node dist/bench/api-latency.js [C=16] [D=10] [instances=50]
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import axios from 'axios';
import { uuidOf } from '../workflows/model/instance';
import { percentile, runBench, startBenchStack } from './bench-support';

interface LoadResult {
  p50: number;
  p99: number;
  rps: number;
}

/** C clients in a closed loop for `seconds`; `path()` picks each request's path. */
async function load(baseUrl: string, path: () => string, clients: number, seconds: number): Promise<LoadResult> {
  const http = axios.create({ baseURL: baseUrl, validateStatus: () => true });
  const latencies: number[] = [];
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < until) {
        const started = performance.now();
        const response = await http.get(path());
        if (response.status !== 200) throw new Error(`GET answered ${response.status}: ${JSON.stringify(response.data)}`);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), rps: latencies.length / seconds };
}

function line(label: string, r: LoadResult): string {
  return `  ${label.padEnd(44)} p50 ${r.p50.toFixed(1).padStart(6)} ms   p99 ${r.p99.toFixed(1).padStart(6)} ms   ${r.rps.toFixed(0).padStart(5)} req/s`;
}

async function main(): Promise<void> {
  const clients = Number(process.argv[2] ?? 16);
  const seconds = Number(process.argv[3] ?? 10);
  const count = Number(process.argv[4] ?? 50);
  // The instances target an agent nobody serves: they settle at once, and no container is needed.
  const stack = await startBenchStack({ LM_AGENT_TIMEOUT_S: '1' });
  const { lm } = stack;
  const baseline = express();
  try {
    const responses = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        lm.api.post('/api/v2/lm/service?wait=true', {
          agents_list: [{ agent_ip: '10.255.255.1' }],
          service: { name: `latency-${i}`, exec: 'lm-test/busybox:latest', exec_type: 'docker' },
        }),
      ),
    );
    const uuids = responses.map((r) => uuidOf(r.data.service_instance.id as string));
    const one = (await lm.api.get(`/api/v2/lm/service-instances/${uuids[0]}`)).data as unknown;
    const page = (await lm.api.get('/api/v2/lm/service-instances/all?page_size=50&status=error')).data as unknown;
    baseline.get('/one', (_req, res) => res.json(one));
    baseline.get('/page', (_req, res) => res.json(page));
    const server = baseline.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const bare = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pick = () => uuids[Math.floor(Math.random() * uuids.length)];

    const bareOne = await load(bare, () => '/one', clients, seconds);
    const lmOne = await load(lm.baseUrl, () => `/api/v2/lm/service-instances/${pick()}`, clients, seconds);
    const barePage = await load(bare, () => '/page', clients, seconds);
    const lmPage = await load(lm.baseUrl, () => '/api/v2/lm/service-instances/all?page_size=50&status=error', clients, seconds);
    server.close();

    console.log(`bench/api-latency  ${clients} clients x ${seconds} s, ${count} instances`);
    console.log(line('bare Express, same instance JSON (baseline)', bareOne));
    console.log(line('LM GET …/service-instances/<uuid> (query)', lmOne));
    console.log(`  ratio p50 ${(lmOne.p50 / bareOne.p50).toFixed(1)}x, throughput ${(lmOne.rps / bareOne.rps).toFixed(2)}x`);
    console.log(line('bare Express, same page JSON (baseline)', barePage));
    console.log(line('LM GET …/all?page_size=50 (visibility)', lmPage));
    console.log(`  ratio p50 ${(lmPage.p50 / barePage.p50).toFixed(1)}x, throughput ${(lmPage.rps / barePage.rps).toFixed(2)}x`);
  } finally {
    await stack.stop();
  }
}

runBench(main);
