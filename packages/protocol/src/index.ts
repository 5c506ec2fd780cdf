export type { DataPoint, MetricValue, Tags } from './data-point.js';
export { seriesKey } from './series-key.js';
