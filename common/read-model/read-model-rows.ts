/** Between projections and rows: what both stores write and how they read it back. */
import type { ServiceInstance, TimelineEntry, TimelinePage } from '../../workflows/model/instance';
import type { InstanceProjection } from '../../workflows/model/projection';
import type { InstanceStatus } from '../../workflows/model/status';
import { SCHEMA_VERSION } from './read-model-sql';
import type { StoredInstance, StoredPage } from './read-model-store';

/** Numbers may come back as text (PostgreSQL BIGINT) or numbers (SQLite): both are read with Number(). */
type DbNumber = number | string;

export interface InstanceRow {
  epoch: DbNumber;
  revision: DbNumber;
  ended: DbNumber;
  timeline_next: DbNumber;
  document: string;
}

export interface TimelineHeadRow {
  epoch: DbNumber;
  status: InstanceStatus;
  ended: DbNumber;
  timeline_next: DbNumber;
}

export interface EntryRow {
  number: DbNumber;
  entry: string;
}

export interface PageRow {
  uuid: string;
  created: string;
  document: string;
}

/** The parameters of the instance upsert (read-model-sql.ts upsertInstance), in order. */
export function instanceRow(p: InstanceProjection): Array<string | number> {
  const { instance } = p;
  return [
    p.uuid,
    p.epoch,
    p.revision,
    instance.status,
    instance.user,
    instance.service,
    instance.service_name,
    instance.service_type,
    instance.created,
    p.ended ? 1 : 0,
    p.timelineNext,
    JSON.stringify(instance),
  ];
}

/** The parameters of insertEntries(p.entries.length). */
export function entryRows(p: InstanceProjection): Array<string | number> {
  return p.entries.flatMap((entry, i) => [p.uuid, p.epoch, p.firstEntry + i, JSON.stringify(entry)]);
}

export function storedInstance(row: InstanceRow): StoredInstance {
  return {
    epoch: Number(row.epoch),
    revision: Number(row.revision),
    ended: Number(row.ended) === 1,
    timelineNext: Number(row.timeline_next),
    instance: JSON.parse(row.document) as ServiceInstance,
  };
}

/** `rows` has one row more than `limit` when another page follows. */
export function pageOf(rows: PageRow[], limit: number): StoredPage {
  const kept = rows.slice(0, limit);
  const last = kept[kept.length - 1];
  return {
    instances: kept.map((row) => JSON.parse(row.document) as ServiceInstance),
    next: rows.length > limit && last !== undefined ? { created: last.created, uuid: last.uuid } : null,
  };
}

/** A page of at most `limit` entries; when more follow it, `next` is right after it and the reader has not reached the end. */
export function timelinePage(head: TimelineHeadRow, rows: EntryRow[], limit: number): TimelinePage {
  const last = rows[rows.length - 1];
  const more = rows.length === limit && last !== undefined && Number(last.number) + 1 < Number(head.timeline_next);
  return {
    entries: rows.map((row) => JSON.parse(row.entry) as TimelineEntry),
    next: more ? Number(last.number) + 1 : Number(head.timeline_next),
    status: head.status,
    ended: Number(head.ended) === 1 && !more,
  };
}

/** The schema version to record; a database made by a newer LM is refused rather than misread. */
export function schemaVersionToWrite(found: string | undefined, where: string): string {
  if (found !== undefined && Number(found) > SCHEMA_VERSION) {
    throw new Error(
      `the read model at ${where} has schema version ${found}, newer than this LM's ${SCHEMA_VERSION}: upgrade the LM, or point it at an empty database and rebuild (npm run rebuild-read-model)`,
    );
  }
  return String(SCHEMA_VERSION);
}
