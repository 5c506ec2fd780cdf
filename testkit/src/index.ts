export type { AppProcess } from './app-process.js';
export { killAppProcesses, startAppProcess } from './app-process.js';
export { encodedLines } from './encoded-lines.js';
export { registerExitCleanup } from './exit-cleanup.js';
export type {
  FakeTsd,
  FakeTsdConnection,
  FakeTsdMode,
  FakeTsdOptions,
  FakeTsdPoint,
  FakeTsdProtocol,
  FakeTsdRequest,
  FakeTsdTlsOptions,
  FakeTsdWaitOptions,
  RejectFn,
  RejectInput,
} from './fake-tsd.js';
export { FAKE_TSD_VERSION_REPLY, startFakeTsd } from './fake-tsd.js';
export { freePort, freePorts } from './free-port.js';
export type { SimpleRequestOptions, SimpleResponse } from './http-request.js';
export { simpleRequest } from './http-request.js';
export type { RunProcessOptions, RunProcessResult } from './run-process.js';
export { runProcess } from './run-process.js';
export type { TempDir } from './temp-dir.js';
export { makeTempDir, withTempDir } from './temp-dir.js';
export type { PemFile, TlsFixtures } from './tls-fixtures.js';
export { TEST_CLIENT_COMMON_NAME, tlsFixtures } from './tls-fixtures.js';
export type {
  ExportedPoint,
  ExportedSeries,
  JsonPutPoint,
  PromQueryResponse,
  StopOptions,
  VictoriaMetrics,
  VictoriaMetricsOptions,
} from './victoria-metrics.js';
export {
  DEFAULT_VICTORIA_METRICS_BINARY,
  flattenSeries,
  parseExport,
  startVictoriaMetrics,
} from './victoria-metrics.js';
export type { WaitForOptions } from './wait-for.js';
export { waitFor } from './wait-for.js';
