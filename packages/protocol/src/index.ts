export type { DataPoint, MetricValue, Tags } from './data-point.js';
export type { PointError, PointErrorCategory, PointErrorCode, PointResult } from './errors.js';
export { lineTooLongError, ProtocolError, telnetPutError } from './errors.js';
export { formatCollectorLine, formatPutLine } from './format.js';
export type { JavaLongResult } from './java-long.js';
export { parseJavaLong } from './java-long.js';
export type { LineFramerOptions } from './line-framer.js';
export { LineFramer } from './line-framer.js';
export type { ProtocolOptions } from './options.js';
export { asciiNameTable, DEFAULT_MAX_TAGS } from './options.js';
export type { ApiError, DecodePutBodyResult, IndexedPointError } from './put-body.js';
export { datapointEcho, decodePutBody, encodePutBody } from './put-body.js';
export { parseCollectorLine, parsePutLine } from './put-line.js';
export { PutLineScreen } from './put-line-screen.js';
export type { PutOutcome, PutReply, PutResponseMode } from './put-response.js';
export {
  decodeErrorEnvelope,
  decodePutResponse,
  errorEnvelope,
  PUT_ERRORS_DETAILS,
  PUT_ERRORS_MESSAGE,
  putResponse,
} from './put-response.js';
export { screenedSeriesKey, seriesKey } from './series-key.js';
export { createTags } from './tags.js';
export type { TelnetCommand, TelnetCommandName, VersionInfo } from './telnet.js';
export {
  parseTelnetCommand,
  TELNET_COMMANDS,
  TELNET_DIEDIEDIE_REPLY,
  TELNET_DROPCACHES_REPLY,
  telnetHelpReply,
  telnetStatsReply,
  telnetUnknownCommandReply,
  telnetVersionReply,
} from './telnet.js';
export { isValidTimestamp, MAX_MILLIS, MAX_SECONDS, toMillis } from './timestamp.js';
export { validatePoint } from './validate-point.js';
export { formatValue } from './value.js';
