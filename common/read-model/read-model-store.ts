/**
 * The read model: where the API reads instances, listings and timelines, kept current by the workflows'
 * projections (Temporal stays the source of truth; `npm run rebuild-read-model` makes it again from there).
 * One interface, two stores with one schema: SQLite (embedded, the default) and PostgreSQL (LM_DATABASE_URL).
 */
import type { ServiceInstance, TimelinePage } from '../../workflows/model/instance';
import type { InstanceProjection, ProjectionVersion } from '../../workflows/model/projection';
import type { ExecType } from '../../workflows/model/service';
import type { InstanceStatus } from '../../workflows/model/status';

export interface StoredInstance extends ProjectionVersion {
  instance: ServiceInstance;
  ended: boolean;
  timelineNext: number;
}

/** A listing's filter; every field narrows it (statuses empty: any status). */
export interface InstanceFilter {
  statuses: InstanceStatus[];
  user?: string;
  /** A service id or name. */
  service?: string;
  execType?: ExecType;
}

/** Where a page of a listing ended (newest first: by creation time, then uuid): the next page starts after it. */
export interface ListPosition {
  created: string;
  uuid: string;
}

export interface StoredPage {
  instances: ServiceInstance[];
  /** Null when no instance follows. */
  next: ListPosition | null;
}

/** Called with the uuid of an instance that changed, or null when any may have (the feed was interrupted). */
export type ChangeListener = (uuid: string | null) => void;

export interface ReadModelStore {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Applies one projection in one transaction: the instance row only when (epoch, revision) is newer than the
   * stored one, its timeline entries by number (an entry already there is kept), so retries and replays are
   * harmless. True when anything changed.
   */
  project(projection: InstanceProjection): Promise<boolean>;
  instance(uuid: string): Promise<StoredInstance | null>;
  list(filter: InstanceFilter, limit: number, after: ListPosition | null): Promise<StoredPage>;
  count(filter: InstanceFilter): Promise<number>;
  countByStatus(): Promise<Array<{ status: InstanceStatus; count: number }>>;
  /** Entries numbered `since` on (at most `limit`); null when the instance is not in the read model. */
  timeline(uuid: string, since: number, limit: number): Promise<TimelinePage | null>;
  /** Every instance uuid the read model holds, with when it was created (the rebuild prunes with these). */
  uuids(): Promise<Array<{ uuid: string; created: string }>>;
  remove(uuids: string[]): Promise<void>;
  /** Follows changes: written by this process or by any other (the worker's projections). Returns the unsubscribe. */
  onChange(listener: ChangeListener): () => void;
  close(): Promise<void>;
}

/** The instance row's columns that listings filter on, taken from the document. */
export function filterColumns(instance: ServiceInstance): {
  status: string;
  user: string;
  serviceId: string;
  serviceName: string;
  execType: string;
  created: string;
} {
  return {
    status: instance.status,
    user: instance.user,
    serviceId: instance.service,
    serviceName: instance.service_name,
    execType: instance.service_type,
    created: instance.created,
  };
}
