/**
 * The read model in PostgreSQL (LM_DATABASE_URL): for several LMs sharing one Temporal, or a database run
 * apart from the LM. Every projection commits with a NOTIFY on `lm_read_model` carrying the instance's uuid;
 * the API LISTENs on one connection of its own while anyone follows a timeline.
 */
import { Client, Pool, TypeOverrides, types, type PoolClient } from 'pg';
import type { TimelinePage } from '../../workflows/model/instance';
import type { InstanceProjection } from '../../workflows/model/projection';
import type { InstanceStatus } from '../../workflows/model/status';
import { ChangeFeed } from './change-feed';
import {
  COUNT_BY_STATUS,
  countStatement,
  DELETE_OLDER_ENTRIES,
  deleteInstances,
  INSTANCE_EPOCH,
  insertEntries,
  numberedParameters,
  pageStatement,
  READ_SCHEMA_VERSION,
  schemaStatements,
  SELECT_ENTRIES,
  SELECT_INSTANCE,
  SELECT_TIMELINE_HEAD,
  SELECT_UUIDS,
  touchInstance,
  upsertInstance,
  WRITE_SCHEMA_VERSION,
} from './read-model-sql';
import {
  entryRows,
  instanceRow,
  pageOf,
  schemaVersionToWrite,
  storedInstance,
  timelinePage,
  type EntryRow,
  type InstanceRow,
  type PageRow,
  type TimelineHeadRow,
} from './read-model-rows';
import type { ChangeListener, InstanceFilter, ListPosition, ReadModelStore, StoredInstance, StoredPage } from './read-model-store';

const CHANNEL = 'lm_read_model';
/** Serialises the schema creation of processes starting together (any constant key of our own). */
const SCHEMA_LOCK_KEY = 461_000_001;
const RELISTEN_MS = 1_000;
const POOL_SIZE = 10;

// BIGINT (epoch, revision, seq, counts) as numbers: every value we store is far below 2^53.
const TYPES = new TypeOverrides();
TYPES.setTypeParser(types.builtins.INT8, (value: string) => Number(value));

type Param = string | number;

export class PostgresReadModelStore implements ReadModelStore {
  readonly kind = 'postgres';
  private readonly pool: Pool;
  private readonly feed: ChangeFeed;
  private listener: Client | null = null;
  private listening = false;
  private relistenTimer: NodeJS.Timeout | null = null;

  private constructor(private readonly url: string) {
    this.pool = new Pool({ connectionString: url, max: POOL_SIZE, types: TYPES });
    // An idle client that loses its server is dropped from the pool; the next query opens another.
    this.pool.on('error', () => undefined);
    this.feed = new ChangeFeed({ start: () => this.listen(), stop: () => this.unlisten() });
  }

  static async open(url: string): Promise<PostgresReadModelStore> {
    const store = new PostgresReadModelStore(url);
    try {
      await store.inTransaction(async (client) => {
        await client.query(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_KEY})`);
        for (const sql of schemaStatements('postgres')) await client.query(sql);
        const found = await client.query<{ value: string }>(READ_SCHEMA_VERSION);
        await client.query(numberedParameters(WRITE_SCHEMA_VERSION), [schemaVersionToWrite(found.rows[0]?.value, redacted(url))]);
      });
    } catch (err) {
      await store.pool.end();
      throw err;
    }
    return store;
  }

  async project(p: InstanceProjection): Promise<boolean> {
    return this.inTransaction(async (client) => {
      const run = async (sql: string, params: Param[]) => (await client.query(numberedParameters(sql), params)).rowCount ?? 0;
      const updated = (await run(upsertInstance('postgres'), instanceRow(p))) > 0;
      if (updated) await run(DELETE_OLDER_ENTRIES, [p.uuid, p.epoch]);
      let inserted = 0;
      const row = await client.query<{ epoch: number }>(numberedParameters(INSTANCE_EPOCH), [p.uuid]);
      if (p.entries.length > 0 && row.rows[0]?.epoch === p.epoch) {
        inserted = await run(insertEntries(p.entries.length), entryRows(p));
        if (inserted > 0 && !updated) await run(touchInstance('postgres'), [p.uuid]);
      }
      const changed = updated || inserted > 0;
      // Delivered at commit, to every listener (this process's too).
      if (changed) await client.query('SELECT pg_notify($1, $2)', [CHANNEL, p.uuid]);
      return changed;
    });
  }

  async instance(uuid: string): Promise<StoredInstance | null> {
    const row = (await this.query<InstanceRow>(SELECT_INSTANCE, [uuid]))[0];
    return row === undefined ? null : storedInstance(row);
  }

  async list(filter: InstanceFilter, limit: number, after: ListPosition | null): Promise<StoredPage> {
    const { sql, params } = pageStatement(filter, limit, after);
    return pageOf(await this.query<PageRow>(sql, params), limit);
  }

  async count(filter: InstanceFilter): Promise<number> {
    const { sql, params } = countStatement(filter);
    return (await this.query<{ n: number }>(sql, params))[0].n;
  }

  async countByStatus(): Promise<Array<{ status: InstanceStatus; count: number }>> {
    return (await this.query<{ status: InstanceStatus; n: number }>(COUNT_BY_STATUS, [])).map((r) => ({ status: r.status, count: r.n }));
  }

  async timeline(uuid: string, since: number, limit: number): Promise<TimelinePage | null> {
    // Entries are written with their head in one transaction: those below the head's next are all there.
    const head = (await this.query<TimelineHeadRow>(SELECT_TIMELINE_HEAD, [uuid]))[0];
    if (head === undefined) return null;
    const rows = await this.query<EntryRow>(SELECT_ENTRIES, [uuid, head.epoch, since, head.timeline_next, limit]);
    return timelinePage(head, rows, limit);
  }

  async uuids(): Promise<Array<{ uuid: string; created: string }>> {
    return this.query<{ uuid: string; created: string }>(SELECT_UUIDS, []);
  }

  async remove(uuids: string[]): Promise<void> {
    if (uuids.length === 0) return;
    await this.inTransaction(async (client) => {
      for (const sql of deleteInstances(uuids.length)) await client.query(numberedParameters(sql), uuids);
    });
  }

  onChange(listener: ChangeListener): () => void {
    return this.feed.subscribe(listener);
  }

  async close(): Promise<void> {
    this.feed.stop();
    await this.pool.end();
  }

  private async query<R extends object>(sql: string, params: Param[]): Promise<R[]> {
    return (await this.pool.query<R>(numberedParameters(sql), params)).rows;
  }

  private async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** One connection LISTENs; when it is lost, followers are told to read again and it connects anew. */
  private listen(): void {
    this.listening = true;
    const client = new Client({ connectionString: this.url });
    this.listener = client;
    const lost = () => {
      if (this.listener !== client) return;
      this.listener = null;
      client.end().catch(() => undefined);
      this.feed.emit(null);
      if (this.listening) this.relistenTimer = setTimeout(() => this.listening && this.listen(), RELISTEN_MS);
      this.relistenTimer?.unref();
    };
    client.on('notification', (message) => {
      if (message.channel === CHANNEL && message.payload) this.feed.emit(message.payload);
    });
    client.on('error', lost);
    client.on('end', lost);
    client
      .connect()
      .then(() => client.query(`LISTEN ${CHANNEL}`))
      // Whatever was committed while nobody listened is read by the woken followers.
      .then(() => this.feed.emit(null))
      .catch(lost);
  }

  private unlisten(): void {
    this.listening = false;
    if (this.relistenTimer !== null) clearTimeout(this.relistenTimer);
    const client = this.listener;
    this.listener = null;
    client?.end().catch(() => undefined);
  }
}

/** The URL without its password, for messages. */
export function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'LM_DATABASE_URL';
  }
}
