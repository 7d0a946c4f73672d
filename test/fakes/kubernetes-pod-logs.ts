/**
 * Pod logs of the fake API server, as the kubelet serves them through `GET …/pods/<name>/log`: plain text, one
 * line per entry, `timestamps=true` prefixing each with its RFC 3339 time, `tailLines`, `sinceSeconds`, `sinceTime`,
 * `follow=true` keeping the answer open for new lines until the pod goes away; `container` is required when the
 * pod has more than one. The fake's pods print nothing by themselves: a test writes what a container "prints"
 * with `append` (every pod of the Deployment gets it, as replicas of one image would).
 */
import type { Request, Response } from 'express';
import { failureStatus, type KubernetesStatus } from './kubernetes-status';
import { queryParams } from './http-params';

interface Entry {
  at: Date;
  line: string;
}

type Follower = (entry: Entry) => void;

/** Pods are named `<deployment>-<hash>-<suffix>`; the logs are kept per Deployment and container. */
const keyOf = (namespace: string, deployment: string, container: string) => `${namespace}/${deployment}/${container}`;

export class PodLogs {
  private readonly entries = new Map<string, Entry[]>();
  private readonly followers = new Map<string, Set<Follower>>();
  private readonly closers = new Set<() => void>();

  append(namespace: string, deployment: string, container: string, line: string): void {
    const key = keyOf(namespace, deployment, container);
    const entry = { at: new Date(), line };
    const list = this.entries.get(key) ?? [];
    list.push(entry);
    this.entries.set(key, list);
    for (const follower of this.followers.get(key) ?? []) follower(entry);
  }

  /**
   * Answers a log request for `pod` (null: no such pod) of Deployment `deployment`; `stillThere` tells a
   * follower whether the pod exists yet.
   */
  serve(
    req: Request,
    res: Response,
    pod: { namespace: string; name: string; deployment: string; containers: string[] } | null,
    podName: string,
    stillThere: () => boolean,
  ): KubernetesStatus | null {
    if (pod === null) return failureStatus(404, `pods "${podName}" not found`, 'NotFound', { name: podName, kind: 'pods' });
    const params = queryParams(req);
    const container = params.get('container') ?? (pod.containers.length === 1 ? pod.containers[0] : null);
    if (container === null) {
      return failureStatus(
        400,
        `a container name must be specified for pod ${pod.name}, choose one of: [${pod.containers.join(' ')}]`,
        'BadRequest',
      );
    }
    if (!pod.containers.includes(container)) {
      return failureStatus(400, `container ${container} is not valid for pod ${pod.name}`, 'BadRequest');
    }
    const timestamps = params.get('timestamps') === 'true';
    const follow = params.get('follow') === 'true';
    const tail = params.get('tailLines');
    const since = params.get('sinceSeconds');
    const sinceTime = params.get('sinceTime');
    const key = keyOf(pod.namespace, pod.deployment, container);
    let list = this.entries.get(key) ?? [];
    if (since !== null) list = list.filter((entry) => entry.at.getTime() >= Date.now() - Number(since) * 1000);
    if (sinceTime !== null) list = list.filter((entry) => entry.at.getTime() >= Date.parse(sinceTime));
    if (tail !== null) list = Number(tail) === 0 ? [] : list.slice(-Number(tail));
    const text = (entry: Entry) => `${timestamps ? `${entry.at.toISOString().replace('Z', '000000Z')} ` : ''}${entry.line}\n`;
    res.status(200).set('Content-Type', 'text/plain');
    for (const entry of list) res.write(text(entry));
    if (!follow) {
      res.end();
      return null;
    }
    const follower: Follower = (entry) => res.write(text(entry));
    const followers = this.followers.get(key) ?? new Set<Follower>();
    followers.add(follower);
    this.followers.set(key, followers);
    const timer = setInterval(() => {
      if (!stillThere()) close();
    }, 100);
    const close = () => {
      clearInterval(timer);
      followers.delete(follower);
      this.closers.delete(close);
      res.end();
    };
    this.closers.add(close);
    res.on('close', close);
    return null;
  }

  /** Ends every followed log (the server closes). */
  endAll(): void {
    for (const close of [...this.closers]) close();
  }
}
