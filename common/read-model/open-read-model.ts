/** Opens the read model the configuration names: PostgreSQL with LM_DATABASE_URL, else SQLite under LM_DATA_DIR. */
import type { ReadModelLocation } from '../config';
import { PostgresReadModelStore, redacted } from './postgres-store';
import type { ReadModelStore } from './read-model-store';
import { SqliteReadModelStore } from './sqlite-store';

export async function openReadModel(location: ReadModelLocation): Promise<ReadModelStore> {
  return location.kind === 'postgres' ? PostgresReadModelStore.open(location.url) : new SqliteReadModelStore(location.file);
}

/** Where the read model is, for logs and messages (no password). */
export function describeReadModel(location: ReadModelLocation): string {
  return location.kind === 'sqlite' ? `SQLite ${location.file}` : `PostgreSQL ${redacted(location.url)}`;
}
