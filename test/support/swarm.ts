/**
 * A real single-node Docker swarm for swarm tests, left as the test found it: initialised here only if it was
 * inactive, and left again afterwards (unless LM_TEST_KEEP_SWARM=1, for parallel development runs).
 */
import { spawnSync } from 'node:child_process';

function swarmState(): string {
  const result = spawnSync('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker info failed: ${result.stderr}`);
  return result.stdout.trim();
}

export interface SwarmLease {
  /** True when this lease initialised the swarm (and so will leave it). */
  initialised: boolean;
  release(): void;
}

export function useSwarm(): SwarmLease {
  if (swarmState() === 'active') return { initialised: false, release: () => undefined };
  const init = spawnSync('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1'], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`docker swarm init failed: ${init.stderr}`);
  return {
    initialised: true,
    release: () => {
      if (process.env.LM_TEST_KEEP_SWARM === '1') return;
      spawnSync('docker', ['swarm', 'leave', '--force'], { encoding: 'utf8' });
    },
  };
}
