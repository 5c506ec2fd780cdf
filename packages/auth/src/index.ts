export type {
  AuthenticateOptions,
  Authenticator,
  AuthenticatorOptions,
  AuthenticatorStats,
  AuthFailure,
  AuthFailureReason,
  AuthResult,
  AuthSuccess,
} from './authenticator.js';
export { createAuthenticator } from './authenticator.js';
export type {
  AllowAllOptions,
  CredentialStore,
  VerifyFailure,
  VerifyFailureReason,
  VerifyResult,
} from './credential-store.js';
export { chainStores, createAllowAllStore, createDenyAllStore } from './credential-store.js';
export type {
  BasicCredentials,
  CredentialErrorCode,
  Credentials,
  HeaderSource,
  InvalidCredentials,
  NoCredentials,
  TagCredentialsError,
  TagCredentialsOptions,
  TagCredentialsResult,
  TokenCredentials,
} from './credentials.js';
export {
  credentialsFromHeaders,
  extractTagCredentials,
  MAX_CREDENTIAL_HEADER_LENGTH,
  MAX_SECRET_LENGTH,
  MAX_USER_LENGTH,
  parseAuthorization,
} from './credentials.js';
export type { CredentialsFile, CredentialTable, ParseConfigResult } from './credentials-config.js';
export { compileCredentials, parseCredentialsText } from './credentials-config.js';
export type { DjangoStoreOptions, Queryable } from './django-store.js';
export { createDjangoStore } from './django-store.js';
export { AuthConfigError } from './errors.js';
export type { FailureLimitOptions } from './failure-limiter.js';
export { DEFAULT_FAILURE_LIMIT } from './failure-limiter.js';
export type { FileStore, FileStoreOptions, FileStoreStats, ReloadResult } from './file-store.js';
export { openFileStore } from './file-store.js';
export type { HashAlgorithm, HashCostLimits, PasswordCheck, PasswordCheckFailure } from './hash-types.js';
export { DEFAULT_HASH_LIMITS, HASH_ALGORITHMS } from './hash-types.js';
export type { AuthLogger } from './logger.js';
export type { CheckPasswordOptions, HashPasswordOptions } from './password-hash.js';
export {
  checkPassword,
  DEFAULT_PBKDF2_ITERATIONS,
  hashPassword,
  identifyHash,
  verifyPassword,
} from './password-hash.js';
export type {
  AuthzDecision,
  AuthzDenial,
  CompileResult,
  MetricPatterns,
  Principal,
  PrincipalSpec,
  Scope,
} from './principal.js';
export {
  applyForcedTags,
  authorizeRead,
  authorizeWrite,
  compileMetricPatterns,
  createPrincipal,
  SCOPES,
  validateForcedTags,
  validateMetricPattern,
} from './principal.js';
export type { TableStoreOptions } from './table-store.js';
export { createStaticStore } from './table-store.js';
export { generateToken, hashToken } from './token.js';
export type { WasmHashingOptions, WasmHashingStats } from './wasm-hash-pool.js';
export { configureWasmHashing, wasmHashingStats } from './wasm-hash-pool.js';
