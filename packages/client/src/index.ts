export type { AttemptResult } from './attempt-result.js';
export { failure, retryable, success } from './attempt-result.js';
export type { BackoffOptions } from './backoff.js';
export { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
export type {
  ClientEvents,
  ClientStats,
  CloseOptions,
  CloseResult,
  FlushResult,
  InvalidPoint,
  RejectedEvent,
  SendError,
  SendOptions,
  SendResult,
  WriteLinesOptions,
  WriteResult,
} from './client.js';
export { Client, createClient } from './client.js';
export type { HostSpec } from './endpoints.js';
export type { ClientErrorCode, ClientErrorOptions } from './errors.js';
export { ClientError } from './errors.js';
export type { HostPolicy } from './host-pool.js';
export type { LogFn, Logger } from './logger.js';
export type {
  ClientOptions,
  CreateClientOptions,
  DropPolicy,
  Protocol,
  TelnetTimestamps,
  TlsOptions,
} from './options.js';
export { redactText, redactUrl } from './redact.js';
export type { RetryInfo, RetryOptions } from './retry.js';
export { retry, sleep } from './retry.js';
export { parseRetryAfter } from './retry-after.js';
export type { RejectedPoint } from './transport.js';
