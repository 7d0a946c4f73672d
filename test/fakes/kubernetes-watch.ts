/**
 * Watches of the fake Kubernetes API (`?watch=true` on a list), streamed as the API server does: one JSON event
 * per line (`{"type":"ADDED|MODIFIED|DELETED","object":{…}}`). Without a resourceVersion (or with "0") the
 * current objects come first as ADDED; with one, the kept changes after it, or an ERROR event carrying a 410
 * Expired Status when they were compacted. `timeoutSeconds` ends the stream, as the server's own timeout does.
 */
import type { Request, Response } from 'express';
import { failureStatus } from './kubernetes-status';
import { matchesSelector } from './kubernetes-selector';
import type { KubernetesStore, ResourceType, StoreEvent } from './kubernetes-store';
import { queryParams } from './http-params';

export class WatchHub {
  private readonly open = new Set<() => void>();

  constructor(private readonly store: KubernetesStore) {}

  /** Watches currently streaming. */
  get count(): number {
    return this.open.size;
  }

  serve(req: Request, res: Response, type: ResourceType, namespace: string | undefined): void {
    const params = queryParams(req);
    const selector = params.get('labelSelector');
    const from = params.get('resourceVersion');
    const timeoutSeconds = Number(params.get('timeoutSeconds') ?? '0');
    const wanted = (event: StoreEvent): boolean =>
      event.object.kind === type.kind &&
      (namespace === undefined || event.object.metadata.namespace === namespace) &&
      matchesSelector(event.object.metadata.labels, selector);

    res.status(200).setHeader('Content-Type', 'application/json');
    res.flushHeaders();
    const write = (event: { type: string; object: unknown }): void => {
      res.write(`${JSON.stringify(event)}\n`);
    };

    let backlog: StoreEvent[] | null;
    if (from === null || from === '' || from === '0') {
      backlog = this.store.list(type, namespace).map((object) => ({ type: 'ADDED', object }));
    } else {
      backlog = this.store.eventsSince(Number(from));
    }
    if (backlog === null) {
      write({
        type: 'ERROR',
        object: { ...failureStatus(410, `too old resource version: ${from} (${this.store.resourceVersion()})`, 'Expired') },
      });
      res.end();
      return;
    }
    for (const event of backlog.filter(wanted)) write(event);

    const unsubscribe = this.store.subscribe((event) => {
      if (wanted(event)) write(event);
    });
    let timer: NodeJS.Timeout | null = null;
    const end = (): void => {
      if (timer !== null) clearTimeout(timer);
      unsubscribe();
      this.open.delete(end);
      res.end();
    };
    this.open.add(end);
    if (timeoutSeconds > 0) timer = setTimeout(end, timeoutSeconds * 1000);
    res.on('close', end);
  }

  /** Ends every open watch, as an API server restart does; clients resume from their last resourceVersion. */
  endAll(): void {
    for (const end of [...this.open]) end();
  }
}
