/**
 * Loads @kubernetes/client-node, which is ESM-only since 1.0 while this project compiles to CommonJS.
 * Node >= 20.19 can require() ES modules, but Jest's module loader cannot (before Node 24.9) and it also wraps
 * `module.createRequire`; so the module is required through the process's own `module` builtin, reached via
 * the main V8 context. Loaded on first use only: a broken Kubernetes client never affects the other runtimes.
 */
import vm from 'node:vm';
import type * as KubernetesClient from '@kubernetes/client-node';
import { FailureType } from '../../../workflows/model/failures';
import { errorMessage, failure } from '../../failures';

export type KubernetesClientModule = typeof KubernetesClient;

let loaded: KubernetesClientModule | null = null;

export function loadKubernetesClient(): KubernetesClientModule {
  if (loaded) return loaded;
  try {
    const mainProcess = vm.runInThisContext('process') as NodeJS.Process;
    const nodeModule = mainProcess.getBuiltinModule('node:module') as typeof import('node:module');
    loaded = nodeModule.createRequire(__filename)('@kubernetes/client-node') as KubernetesClientModule;
    return loaded;
  } catch (err) {
    throw failure(
      FailureType.NotSupported,
      `the kubernetes runtime cannot load @kubernetes/client-node (${errorMessage(err)}); it needs Node.js >= 20.19 ` +
        `(running ${process.version}) and the npm dependencies installed`,
    );
  }
}
