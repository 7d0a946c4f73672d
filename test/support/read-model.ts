/**
 * Read models for tests. A run shares one by default, as it shares one Temporal: SQLite under the run's data
 * directory (LM_DATA_DIR, set by the global setup, so LM processes a test spawns write where its API reads).
 * Suites that test the read model itself get one of their own, on SQLite or on the run's PostgreSQL
 * (LM_TEST_DATABASE_URL: scripts/test.sh or the global setup starts it), and run once on each.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { READ_MODEL_FILE, type ReadModelLocation } from '../../common/config';

export type StoreKind = 'sqlite' | 'postgres';
export const STORE_KINDS: StoreKind[] = ['sqlite', 'postgres'];

export function testDatabaseUrl(): string {
  const url = process.env.LM_TEST_DATABASE_URL;
  if (!url)
    throw new Error('LM_TEST_DATABASE_URL is not set: run the tests through jest (the global setup starts PostgreSQL) or scripts/test.sh');
  return url;
}

export interface OwnReadModel {
  kind: StoreKind;
  location: ReadModelLocation;
  /** The LM configuration that points at it (for startLm and for processes a test spawns). */
  env: Record<string, string>;
  /** Deletes it: the SQLite directory, or the PostgreSQL database. */
  drop(): Promise<void>;
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function ownReadModel(kind: StoreKind): Promise<OwnReadModel> {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-read-model-'));
    return {
      kind,
      location: { kind, file: path.join(dir, READ_MODEL_FILE) },
      env: { LM_DATA_DIR: dir },
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `lm_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${name}`;
  return {
    kind,
    location: { kind, url: url.toString() },
    env: { LM_DATABASE_URL: url.toString() },
    drop: async () => {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** Renames the instances' table under the LM's feet, so that writes to the read model fail (and back). */
export async function renameInstancesTable(own: OwnReadModel, from: string, to: string): Promise<void> {
  const sql = `ALTER TABLE ${from} RENAME TO ${to}`;
  if (own.location.kind === 'sqlite') {
    const db = new Database(own.location.file, { timeout: 5_000 });
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
    return;
  }
  const client = new Client({ connectionString: own.location.url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
