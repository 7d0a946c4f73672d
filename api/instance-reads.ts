/**
 * Every read of instances the API answers: from the read model, never a workflow query on the way (a GET costs
 * one indexed read, whatever the workers are doing). `consistent` reads ask the workflow (InstanceGateway)
 * instead; so does a read of an instance the read model does not have (one started before it existed, until its
 * next change or a rebuild). Long polls, streams and `?wait=true` wake when the read model changes the instance.
 */
import type { LmConfig } from '../common/config';
import { describeReadModel } from '../common/read-model/open-read-model';
import type { InstanceFilter, ReadModelStore } from '../common/read-model/read-model-store';
import type { ServiceInstance, TimelinePage } from '../workflows/model/instance';
import { INSTANCE_STATUSES, isTransitional, type InstanceStatus } from '../workflows/model/status';
import { unavailable } from './api-error';
import { InstanceChanges } from './instance-changes';
import type { InstanceGateway, InstancePage, Settled } from './instance-gateway';
import { decodeKeysetToken, encodeKeysetToken } from './page-token';

/** The longest timeline page; a longer timeline is read in pages (`next`). */
export const TIMELINE_PAGE_LIMIT = 1000;
/** A read the workflow answered (the instance is not in the read model) is made again this often while waiting. */
const UNPROJECTED_POLL_MS = 500;
/** A follower hears at least this often (its stream then says it is alive); a missed wake-up costs no more than this. */
const FOLLOW_BEAT_MS = 5_000;
/** Waiting for an instance to settle reads it again at least this often. */
const SETTLE_REREAD_MS = 1_000;

type Source = 'read-model' | 'temporal';

export class InstanceReads {
  private readonly changes: InstanceChanges;

  constructor(
    private readonly store: ReadModelStore,
    private readonly gateway: InstanceGateway,
    private readonly config: LmConfig,
  ) {
    this.changes = new InstanceChanges(store);
  }

  async get(uuid: string, consistent = false): Promise<ServiceInstance> {
    return (await this.instance(uuid, consistent)).instance;
  }

  async list(filter: InstanceFilter, pageSize: number, pageToken: string | null, consistent = false): Promise<InstancePage> {
    if (consistent) return this.gateway.list(filter, pageSize, pageToken);
    const position = pageToken === null ? null : decodeKeysetToken(pageToken, filter);
    // Counted with the first page only; later pages carry that count in their token.
    const [page, count] = await this.read(() =>
      Promise.all([
        this.store.list(filter, pageSize, position?.after ?? null),
        position === null ? this.store.count(filter) : position.count,
      ]),
    );
    return { instances: page.instances, count, nextPageToken: page.next === null ? null : encodeKeysetToken(filter, page.next, count) };
  }

  /** The timeline from entry `since` on; with `waitMs`, a long poll until there is an entry, the end, or `signal` aborts. */
  async timeline(uuid: string, since: number, waitMs: number, signal: AbortSignal, consistent = false): Promise<TimelinePage> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const change = this.changes.arm(uuid);
      try {
        const { page, source } = await this.timelinePage(uuid, since, consistent);
        const left = deadline - Date.now();
        if (page.entries.length > 0 || page.ended || signal.aborted || left <= 0) return page;
        await change.within(source === 'temporal' ? Math.min(left, UNPROJECTED_POLL_MS) : left, signal);
      } finally {
        change.cancel();
      }
    }
  }

  /** Every read of the timeline from `since` on, as the instance changes (and at least every few seconds), until it has ended. */
  async *follow(uuid: string, since: number, signal: AbortSignal): AsyncGenerator<TimelinePage, void, undefined> {
    let next = since;
    while (!signal.aborted) {
      const change = this.changes.arm(uuid);
      try {
        const { page, source } = await this.timelinePage(uuid, next, false);
        yield page;
        if (page.ended) return;
        next = Math.max(next, page.next);
        // A full page: more entries are there already.
        if (page.entries.length < TIMELINE_PAGE_LIMIT)
          await change.within(source === 'temporal' ? UNPROJECTED_POLL_MS : FOLLOW_BEAT_MS, signal);
      } finally {
        change.cancel();
      }
    }
  }

  /** Waits (up to LM_WAIT_TIMEOUT_S) until no operation runs on the instance. */
  async waitUntilSettled(uuid: string): Promise<Settled> {
    const deadline = Date.now() + this.config.waitTimeoutMs;
    for (;;) {
      const change = this.changes.arm(uuid);
      try {
        const { instance, source } = await this.instance(uuid, false);
        if (!isTransitional(instance.status)) return { instance, settled: true };
        const left = deadline - Date.now();
        if (left <= 0) return { instance, settled: false };
        await change.within(Math.min(left, source === 'temporal' ? UNPROJECTED_POLL_MS : SETTLE_REREAD_MS));
      } finally {
        change.cancel();
      }
    }
  }

  /** Every status, with 0 for those no instance has. */
  async countByStatus(): Promise<Array<{ status: InstanceStatus; count: number }>> {
    const counted = new Map((await this.read(() => this.store.countByStatus())).map((c) => [c.status, c.count]));
    return INSTANCE_STATUSES.map((status) => ({ status, count: counted.get(status) ?? 0 }));
  }

  private async instance(uuid: string, consistent: boolean): Promise<{ instance: ServiceInstance; source: Source }> {
    if (!consistent) {
      const stored = await this.read(() => this.store.instance(uuid));
      if (stored !== null) return { instance: stored.instance, source: 'read-model' };
    }
    return { instance: await this.gateway.get(uuid), source: 'temporal' };
  }

  private async timelinePage(uuid: string, since: number, consistent: boolean): Promise<{ page: TimelinePage; source: Source }> {
    if (!consistent) {
      const stored = await this.read(() => this.store.timeline(uuid, since, TIMELINE_PAGE_LIMIT));
      if (stored !== null) return { page: stored, source: 'read-model' };
    }
    return { page: await this.gateway.timelinePage(uuid, since), source: 'temporal' };
  }

  private async read<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw unavailable(
        `the read model (${describeReadModel(this.config.readModel)}) cannot be read: ${err instanceof Error ? err.message : String(err)}; ` +
          'add ?consistent=true to ask Temporal instead',
      );
    }
  }
}
