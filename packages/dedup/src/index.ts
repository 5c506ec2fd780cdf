export type { DedupStats, Emit } from './dedup.js';
export { Dedup } from './dedup.js';
export { DedupError } from './errors.js';
export type { DedupOptions, OutOfOrderPolicy } from './options.js';
export { DEFAULT_DEDUP_INTERVAL, DEFAULT_EVICT_INTERVAL, DEFAULT_MAX_SERIES } from './options.js';
