/**
 * The server's Prometheus metrics, in a registry of its own so that several
 * servers in one process (tests) do not mix their counts.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServerMetrics {
  registry: Registry;
  duration: Histogram<'method' | 'route' | 'status_code'>;
  requests: Counter<'method' | 'route' | 'status_code'>;
  errors: Counter<'method' | 'route' | 'status_code'>;
  predictions: Counter<'model_version' | 'class'>;
  modelInfo: Gauge<'model_version' | 'name' | 'task'>;
  modelLoaded: Gauge<'model_version'>;
  reloads: Counter<'result'>;
}

export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mlops_' });
  const http = ['method', 'route', 'status_code'] as const;
  return {
    registry,
    duration: new Histogram({
      name: 'mlops_http_request_duration_seconds',
      help: 'Time from receiving a request to sending its response.',
      labelNames: http,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    requests: new Counter({
      name: 'mlops_http_requests_total',
      help: 'Requests answered, by route and status.',
      labelNames: http,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'mlops_http_request_errors_total',
      help: 'Requests answered with a 4xx or 5xx status, by route and status.',
      labelNames: http,
      registers: [registry],
    }),
    predictions: new Counter({
      name: 'mlops_predictions_total',
      help: 'Rows predicted, by model version and predicted class (empty for regression).',
      labelNames: ['model_version', 'class'],
      registers: [registry],
    }),
    modelInfo: new Gauge({
      name: 'mlops_model_info',
      help: 'The model being served: 1 for its version, name and task.',
      labelNames: ['model_version', 'name', 'task'],
      registers: [registry],
    }),
    modelLoaded: new Gauge({
      name: 'mlops_model_loaded_timestamp_seconds',
      help: 'When the model being served was loaded (Unix seconds): a deploy or retrain shows as a change.',
      labelNames: ['model_version'],
      registers: [registry],
    }),
    reloads: new Counter({
      name: 'mlops_model_reloads_total',
      help: 'Model reloads, by result (success or failure).',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}
