export type {
  Backend,
  BackendRejection,
  BackendStats,
  BackendWriteResult,
  ReadRequest,
  ReadResponse,
} from './backends/backend.js';
export type { ForwardBackendOptions, ForwardMode } from './backends/forward-backend.js';
export { createForwardBackend } from './backends/forward-backend.js';
export { createLocalBackend } from './backends/local-backend.js';
export type { MockBackend, MockBackendOptions } from './backends/mock-backend.js';
export { createMockBackend } from './backends/mock-backend.js';
export { createNullBackend } from './backends/null-backend.js';
export type {
  ConfigResult,
  ListenerConfig,
  LoadConfigInput,
  ParseOptions,
  ProxyConfig,
  ProxyConfigInput,
} from './config.js';
export { loadConfig, ProxyConfigError, parseConfig, resolveConfig } from './config.js';
export type { ProxyLogger } from './logger.js';
export type { ProxyHandle, ProxyPorts, StartProxyOptions } from './proxy.js';
export { PROXY_VERSION, startProxy } from './proxy.js';
export type { ProxyStats } from './self-metrics.js';
export type { RejectReason } from './write-rules.js';
