/**
 * The one schema and the statements both stores run, written once with `?` parameters (PostgreSQL numbers
 * them). The two dialects differ only in how the change sequence is drawn and how booleans come back.
 *
 * Tables: `lm_instances` (one row per instance: the document as JSON, the columns listings filter and page on,
 * its projection version, and `seq`, the change sequence that wakes followers), `lm_timeline` (entries by
 * instance, epoch and number) and `lm_meta` (schema version). Agents get their own table when they need one
 * (a new schema version adds it).
 */
import type { InstanceFilter, ListPosition } from './read-model-store';

export const SCHEMA_VERSION = 1;

export type Dialect = 'sqlite' | 'postgres';

export function schemaStatements(dialect: Dialect): string[] {
  return [
    ...(dialect === 'postgres' ? ['CREATE SEQUENCE IF NOT EXISTS lm_change_seq'] : []),
    `CREATE TABLE IF NOT EXISTS lm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS lm_instances (
      uuid TEXT PRIMARY KEY,
      epoch BIGINT NOT NULL,
      revision BIGINT NOT NULL,
      seq BIGINT NOT NULL,
      status TEXT NOT NULL,
      user_id TEXT NOT NULL,
      service_id TEXT NOT NULL,
      service_name TEXT NOT NULL,
      exec_type TEXT NOT NULL,
      created TEXT NOT NULL,
      ended INTEGER NOT NULL,
      timeline_next INTEGER NOT NULL,
      document TEXT NOT NULL
    )`,
    // Newest first, by every filter a listing has: the page is an index range, not a sort of every match.
    `CREATE INDEX IF NOT EXISTS lm_instances_by_created ON lm_instances (created DESC, uuid DESC)`,
    `CREATE INDEX IF NOT EXISTS lm_instances_by_status ON lm_instances (status, created DESC, uuid DESC)`,
    `CREATE INDEX IF NOT EXISTS lm_instances_by_user ON lm_instances (user_id, created DESC, uuid DESC)`,
    `CREATE INDEX IF NOT EXISTS lm_instances_by_service_id ON lm_instances (service_id, created DESC, uuid DESC)`,
    `CREATE INDEX IF NOT EXISTS lm_instances_by_service_name ON lm_instances (service_name, created DESC, uuid DESC)`,
    `CREATE INDEX IF NOT EXISTS lm_instances_by_exec_type ON lm_instances (exec_type, created DESC, uuid DESC)`,
    `CREATE INDEX IF NOT EXISTS lm_instances_by_seq ON lm_instances (seq)`,
    `CREATE TABLE IF NOT EXISTS lm_timeline (
      uuid TEXT NOT NULL,
      epoch BIGINT NOT NULL,
      number INTEGER NOT NULL,
      entry TEXT NOT NULL,
      PRIMARY KEY (uuid, epoch, number)
    )`,
  ];
}

export const READ_SCHEMA_VERSION = `SELECT value FROM lm_meta WHERE key = 'schema_version'`;
export const WRITE_SCHEMA_VERSION = `INSERT INTO lm_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING`;

function nextSeq(dialect: Dialect): string {
  // SQLite writers are serialised (BEGIN IMMEDIATE), so the next value is simply one more than the last.
  return dialect === 'postgres' ? `nextval('lm_change_seq')` : `(SELECT COALESCE(MAX(seq), 0) + 1 FROM lm_instances)`;
}

/** Parameters: uuid, epoch, revision, status, user, service id, service name, exec type, created, ended, next, document. */
export function upsertInstance(dialect: Dialect): string {
  return `INSERT INTO lm_instances (uuid, epoch, revision, seq, status, user_id, service_id, service_name, exec_type, created, ended, timeline_next, document)
    VALUES (?, ?, ?, ${nextSeq(dialect)}, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (uuid) DO UPDATE SET
      epoch = excluded.epoch, revision = excluded.revision, seq = excluded.seq, status = excluded.status,
      user_id = excluded.user_id, service_id = excluded.service_id, service_name = excluded.service_name,
      exec_type = excluded.exec_type, created = excluded.created, ended = excluded.ended,
      timeline_next = excluded.timeline_next, document = excluded.document
    WHERE excluded.epoch > lm_instances.epoch
       OR (excluded.epoch = lm_instances.epoch AND excluded.revision > lm_instances.revision)`;
}

/** Marks the instance changed (its entries grew under an unchanged document): followers wake. Parameters: uuid. */
export function touchInstance(dialect: Dialect): string {
  return `UPDATE lm_instances SET seq = ${nextSeq(dialect)} WHERE uuid = ?`;
}

/** Entries of an earlier chain of the same instance id are gone once a later chain is projected. Parameters: uuid, epoch. */
export const DELETE_OLDER_ENTRIES = `DELETE FROM lm_timeline WHERE uuid = ? AND epoch < ?`;

export const INSTANCE_EPOCH = `SELECT epoch FROM lm_instances WHERE uuid = ?`;

/** `rows` entries of (uuid, epoch, number, entry). */
export function insertEntries(rows: number): string {
  const values = Array.from({ length: rows }, () => '(?, ?, ?, ?)').join(', ');
  return `INSERT INTO lm_timeline (uuid, epoch, number, entry) VALUES ${values} ON CONFLICT (uuid, epoch, number) DO NOTHING`;
}

export const SELECT_INSTANCE = `SELECT epoch, revision, ended, timeline_next, document FROM lm_instances WHERE uuid = ?`;

export const SELECT_TIMELINE_HEAD = `SELECT epoch, status, ended, timeline_next FROM lm_instances WHERE uuid = ?`;

/** Parameters: uuid, epoch, since, next, limit. */
export const SELECT_ENTRIES = `SELECT number, entry FROM lm_timeline
  WHERE uuid = ? AND epoch = ? AND number >= ? AND number < ? ORDER BY number LIMIT ?`;

export const COUNT_BY_STATUS = `SELECT status, COUNT(*) AS n FROM lm_instances GROUP BY status`;

export const SELECT_UUIDS = `SELECT uuid, created FROM lm_instances`;

export function deleteInstances(count: number): string[] {
  const list = Array.from({ length: count }, () => '?').join(', ');
  return [`DELETE FROM lm_timeline WHERE uuid IN (${list})`, `DELETE FROM lm_instances WHERE uuid IN (${list})`];
}

export const SELECT_CHANGES_SINCE = `SELECT uuid, seq FROM lm_instances WHERE seq > ? ORDER BY seq`;
export const SELECT_LAST_SEQ = `SELECT COALESCE(MAX(seq), 0) AS seq FROM lm_instances`;

export interface Statement {
  sql: string;
  params: Array<string | number>;
}

function filterClauses(filter: InstanceFilter): Statement {
  const clauses: string[] = [];
  const params: Array<string | number> = [];
  if (filter.statuses.length > 0) {
    clauses.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
    params.push(...filter.statuses);
  }
  if (filter.user !== undefined) {
    clauses.push('user_id = ?');
    params.push(filter.user);
  }
  if (filter.service !== undefined) {
    clauses.push('(service_id = ? OR service_name = ?)');
    params.push(filter.service, filter.service);
  }
  if (filter.execType !== undefined) {
    clauses.push('exec_type = ?');
    params.push(filter.execType);
  }
  return { sql: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export function countStatement(filter: InstanceFilter): Statement {
  const where = filterClauses(filter);
  return { sql: `SELECT COUNT(*) AS n FROM lm_instances ${where.sql}`, params: where.params };
}

/** One row more than `limit`: whether another page follows. */
export function pageStatement(filter: InstanceFilter, limit: number, after: ListPosition | null): Statement {
  const where = filterClauses(filter);
  const params = [...where.params];
  let sql = where.sql;
  if (after !== null) {
    sql += `${sql ? ' AND' : 'WHERE'} (created < ? OR (created = ? AND uuid < ?))`;
    params.push(after.created, after.created, after.uuid);
  }
  params.push(limit + 1);
  return { sql: `SELECT uuid, created, document FROM lm_instances ${sql} ORDER BY created DESC, uuid DESC LIMIT ?`, params };
}

/** PostgreSQL numbers its parameters: `?` → `$1`, `$2`… (no statement here has a `?` inside a literal). */
export function numberedParameters(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
