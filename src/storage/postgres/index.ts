export type { IndexName, IndexProfile } from './indexes.js';
export { openPostgresStore, PostgresFlowStore, type PostgresStoreOptions } from './store.js';
