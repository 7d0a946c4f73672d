/**
 * What the workflow projects into the read model at each change (the API reads instances, listings and timelines
 * there): plain JSON, shared by the workflow, the projection activity, the stores and the API.
 */
import type { ServiceInstance, TimelineEntry } from './instance';

/**
 * The order of projections. A chain of runs (continue-as-new included) keeps one `epoch`, the time its first run
 * started, and counts `revision` up at every change it projects; a later chain of the same instance id (a
 * forwarded instance taken back) has a later epoch. (epoch, revision) only grows, so an older projection, retried
 * or replayed, never overwrites a newer one. The API's own write of a just-submitted instance is (0, 0).
 */
export interface ProjectionVersion {
  epoch: number;
  revision: number;
}

export interface InstanceProjection extends ProjectionVersion {
  uuid: string;
  instance: ServiceInstance;
  /** The instance has ended (terminated, forwarded, not placed): no entry will follow. */
  ended: boolean;
  /** The number of the next timeline entry (entries count from 0). */
  timelineNext: number;
  /** Entries numbered `firstEntry` on (the ones not yet confirmed in the read model; possibly none). */
  firstEntry: number;
  entries: TimelineEntry[];
}

/** What the workflow remembers of its projections (carried over by continue-as-new). */
export interface ProjectionState extends ProjectionVersion {
  /** Entries before this number are in the read model. */
  confirmedEntries: number;
}

/** The version of the API's write of a just-submitted instance: any projection of the workflow supersedes it. */
export const SUBMITTED_VERSION: ProjectionVersion = { epoch: 0, revision: 0 };
