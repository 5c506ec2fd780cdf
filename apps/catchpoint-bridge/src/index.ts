export type { BridgeDeps, StopResult } from './bridge.js';
export { Bridge, createNodeSource } from './bridge.js';
export type {
  ApiError,
  ApiErrorCode,
  HttpOptions,
  NodeSource,
  NodesResult,
  V1Options,
  V2Options,
} from './catchpoint-api.js';
export { CatchpointV1Client, CatchpointV2Client } from './catchpoint-api.js';
export type { CliParse, CliResult } from './cli.js';
export { HELP, parseCommandLine } from './cli.js';
export { ClientSink } from './client-sink.js';
export type { BridgeConfig, BridgeConfigInput, ConfigResult, Layer, LoadConfigInput } from './config.js';
export { ENV_SETTINGS, loadConfig, mergeLayers, parseListen, redactConfig } from './config.js';
export { mapDefault, TagSets } from './default-mapping.js';
export type { FileSinkOptions } from './file-sink.js';
export { FileSink } from './file-sink.js';
export type { IngestOptions, IngestOutcome } from './ingest.js';
export { Ingest } from './ingest.js';
export { createMapper } from './mapping.js';
export type { Mapper, MappingOptions, MapResult, NodeTag } from './mapping-options.js';
export { ALL_NODE_TAGS, DEFAULT_MAPPING, metadataValue, NODE_TAGS, V2_NODE_TAGS } from './mapping-options.js';
export type { CacheLoadResult, NodeCache } from './node-cache.js';
export { loadNodeCache, saveNodeCache } from './node-cache.js';
export type { NodeRefresherOptions, RefreshOutcome, RefreshTrigger } from './node-directory.js';
export { NodeDirectory, NodeRefresher } from './node-directory.js';
export type { NodeField, NodeInfo } from './node-info.js';
export { NODE_FIELDS, nodeFromV1, nodeFromV2 } from './node-info.js';
export { mapNs1 } from './ns1-mapping.js';
export { sanitizeTagValue, snakeCase } from './opentsdb-names.js';
export type { CatchpointPush, PayloadError, PushResult } from './payload.js';
export { parseAsn, parsePush, parsePushBySchema } from './payload.js';
export { PointGuard } from './point-guard.js';
export type { ErrorFacts } from './push-facts.js';
export { errorFacts, flagValue, numericValue } from './push-facts.js';
export type { ReplayOptions, ReplaySummary } from './replay.js';
export { replay, splitDocuments } from './replay.js';
export { SecretMatcher } from './secret.js';
export type { MetricsSnapshot, RejectReason } from './self-metrics.js';
export { BridgeMetrics } from './self-metrics.js';
export { SelfMetricsReporter } from './self-metrics-reporter.js';
export type { Sink, WriteResult } from './sink.js';
export { NullSink } from './sink.js';
export type { SinkResult } from './sinks.js';
export { clientOptions, createSink } from './sinks.js';
export type { TimestampResult } from './timestamp.js';
export { formatCatchpointTimestamp, parseCatchpointTimestamp } from './timestamp.js';
export type { ListenOptions, WebhookOptions } from './webhook.js';
export { WebhookServer } from './webhook.js';
