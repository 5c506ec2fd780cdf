export type { BuiltinCollector, BuiltinState, BuiltinStatus } from './builtin-runner.js';
export { BuiltinRunner, builtinSourceName } from './builtin-runner.js';
export type {
  CollectorRunnerOptions,
  CollectorRunnerSettings,
  CollectorState,
  CollectorStatus,
  ExitInfo,
} from './collector-runner.js';
export { CollectorRunner, collectorEnvironment } from './collector-runner.js';
export type { CollectorFile, NameConflict, ScanResult } from './collector-scan.js';
export { scanCollectorDir } from './collector-scan.js';
export type {
  AgentConfig,
  AgentConfigInput,
  ConfigResult,
  Credentials,
  Endpoint,
  LogLevel,
} from './config.js';
export { agentConfigSchema, parseHostPort, resolveConfig } from './config.js';
export type { CommandLine, CommandLineResult, LoadedConfig } from './config-loader.js';
export { loadConfig, parseCommandLine, readCredentialsFile } from './config-loader.js';
export type {
  InvalidReason,
  LinePipelineOptions,
  LineSettings,
  PointSink,
  SourceCounters,
} from './line-pipeline.js';
export { LinePipeline, MAX_LINE_LENGTH } from './line-pipeline.js';
export type { AgentDeps, AgentExit, AgentHandle, AgentStatus, CollectorReport } from './main.js';
export { AgentConfigError, main, runAgent, startAgent, VERSION } from './main.js';
export { helpText, OPTIONS } from './options.js';
export type { SelfMetricsInput } from './self-metrics.js';
export { selfMetricPoints } from './self-metrics.js';
export type { AgentSink, SinkStats } from './sink.js';
export { ClientSink, clientOptions, DryRunSink } from './sink.js';
export type { StatusServerOptions } from './status-server.js';
export { StatusServer } from './status-server.js';
