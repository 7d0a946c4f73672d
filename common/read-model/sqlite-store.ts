/**
 * The read model in an embedded SQLite file (better-sqlite3, WAL): the default, for one LM on one machine. The
 * worker writes it, the API reads it, each through its own connection; WAL lets readers go on while one writes.
 * Changes made by another process are noticed by `PRAGMA data_version` (a counter SQLite bumps when another
 * connection commits), polled by one timer per process while anyone follows a timeline.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { TimelinePage } from '../../workflows/model/instance';
import type { InstanceProjection } from '../../workflows/model/projection';
import type { InstanceStatus } from '../../workflows/model/status';
import { ChangeFeed, pollingSource } from './change-feed';
import {
  COUNT_BY_STATUS,
  countStatement,
  DELETE_OLDER_ENTRIES,
  deleteInstances,
  INSTANCE_EPOCH,
  insertEntries,
  pageStatement,
  READ_SCHEMA_VERSION,
  schemaStatements,
  SELECT_CHANGES_SINCE,
  SELECT_ENTRIES,
  SELECT_INSTANCE,
  SELECT_LAST_SEQ,
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
  type InstanceRow,
  type PageRow,
  type TimelineHeadRow,
} from './read-model-rows';
import type { ChangeListener, InstanceFilter, ListPosition, ReadModelStore, StoredInstance, StoredPage } from './read-model-store';

/** How often a process that follows timelines looks for commits of other processes. */
const DATA_VERSION_POLL_MS = 50;
/** A writer waits this long for another one (the worker and the API share the file) before failing. */
const BUSY_TIMEOUT_MS = 5_000;

export class SqliteReadModelStore implements ReadModelStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly feed: ChangeFeed;
  private lastSeq = 0;
  private dataVersion = 0;

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    this.db.pragma('journal_mode = WAL');
    // In WAL, NORMAL loses at most the last commits on a power cut, never the file; a rebuild brings them back.
    this.db.pragma('synchronous = NORMAL');
    this.db
      .transaction(() => {
        for (const sql of schemaStatements('sqlite')) this.db.exec(sql);
        const found = this.db.prepare(READ_SCHEMA_VERSION).get() as { value: string } | undefined;
        this.db.prepare(WRITE_SCHEMA_VERSION).run(schemaVersionToWrite(found?.value, file));
      })
      .immediate();
    this.feed = new ChangeFeed(
      pollingSource(
        DATA_VERSION_POLL_MS,
        () => {
          this.dataVersion = this.readDataVersion();
          this.lastSeq = (this.db.prepare(SELECT_LAST_SEQ).get() as { seq: number }).seq;
        },
        () => this.changedElsewhere(),
        // A failed look (the file locked for long) only delays the followers: they are told to read again.
        () => this.feed.emit(null),
      ),
    );
  }

  async project(p: InstanceProjection): Promise<boolean> {
    const changed = this.db
      .transaction(() => {
        const columns = instanceRow(p);
        const updated = this.db.prepare(upsertInstance('sqlite')).run(...columns).changes > 0;
        if (updated) this.db.prepare(DELETE_OLDER_ENTRIES).run(p.uuid, p.epoch);
        let inserted = 0;
        const row = this.db.prepare(INSTANCE_EPOCH).get(p.uuid) as { epoch: number } | undefined;
        if (p.entries.length > 0 && row?.epoch === p.epoch) {
          inserted = this.db.prepare(insertEntries(p.entries.length)).run(...entryRows(p)).changes;
          if (inserted > 0 && !updated) this.db.prepare(touchInstance('sqlite')).run(p.uuid);
        }
        return updated || inserted > 0;
      })
      .immediate();
    // This connection's own commits do not move its data_version: tell this process's followers directly.
    if (changed) this.feed.emit(p.uuid);
    return changed;
  }

  async instance(uuid: string): Promise<StoredInstance | null> {
    const row = this.db.prepare(SELECT_INSTANCE).get(uuid) as InstanceRow | undefined;
    return row === undefined ? null : storedInstance(row);
  }

  async list(filter: InstanceFilter, limit: number, after: ListPosition | null): Promise<StoredPage> {
    const { sql, params } = pageStatement(filter, limit, after);
    return pageOf(this.db.prepare(sql).all(...params) as PageRow[], limit);
  }

  async count(filter: InstanceFilter): Promise<number> {
    const { sql, params } = countStatement(filter);
    return (this.db.prepare(sql).get(...params) as { n: number }).n;
  }

  async countByStatus(): Promise<Array<{ status: InstanceStatus; count: number }>> {
    return (this.db.prepare(COUNT_BY_STATUS).all() as Array<{ status: InstanceStatus; n: number }>).map((r) => ({
      status: r.status,
      count: r.n,
    }));
  }

  async timeline(uuid: string, since: number, limit: number): Promise<TimelinePage | null> {
    // One read transaction: the entries are those of the head's moment.
    return this.db.transaction(() => {
      const head = this.db.prepare(SELECT_TIMELINE_HEAD).get(uuid) as TimelineHeadRow | undefined;
      if (head === undefined) return null;
      const rows = this.db.prepare(SELECT_ENTRIES).all(uuid, head.epoch, since, head.timeline_next, limit) as Array<{
        number: number;
        entry: string;
      }>;
      return timelinePage(head, rows, limit);
    })();
  }

  async uuids(): Promise<Array<{ uuid: string; created: string }>> {
    return this.db.prepare(SELECT_UUIDS).all() as Array<{ uuid: string; created: string }>;
  }

  async remove(uuids: string[]): Promise<void> {
    if (uuids.length === 0) return;
    this.db
      .transaction(() => {
        for (const sql of deleteInstances(uuids.length)) this.db.prepare(sql).run(...uuids);
      })
      .immediate();
  }

  onChange(listener: ChangeListener): () => void {
    return this.feed.subscribe(listener);
  }

  async close(): Promise<void> {
    this.feed.stop();
    this.db.close();
  }

  private readDataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  /** Another process committed: which instances its commits touched. */
  private changedElsewhere(): void {
    const version = this.readDataVersion();
    if (version === this.dataVersion) return;
    this.dataVersion = version;
    const rows = this.db.prepare(SELECT_CHANGES_SINCE).all(this.lastSeq) as Array<{ uuid: string; seq: number }>;
    for (const row of rows) {
      this.lastSeq = Math.max(this.lastSeq, row.seq);
      this.feed.emit(row.uuid);
    }
  }
}
