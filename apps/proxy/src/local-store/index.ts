export type { ReadRequest, ReadResponse } from './http-api.js';
export type { LocalStore, LocalStoreOptions, LocalStoreStats, WriteResult } from './store.js';
export { LocalStoreConfigError, openLocalStore } from './store.js';
export type { FsyncPolicy, StoreLogger } from './wal.js';
