/** Exec types the runtimes of this LM implement; the API refuses others with 501 before starting anything. */
import type { ExecType } from '../workflows/model/service';

export const SUPPORTED_EXEC_TYPES: ExecType[] = [
  'docker',
  'compss',
  'docker-compose',
  'docker-compose-swarm',
  'docker-swarm',
  'kubernetes',
];
