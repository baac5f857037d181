/**
 * From firing alerts to a data-refresh request: which alerts call for new data
 * (drift, live accuracy under its gate, live rmse or mae over theirs), and the
 * evidence a reviewer reads in the data-refresh pull request (features, PSI,
 * the live metric and the feedback it rests on, model version). The request is
 * what a shell sends on; it knows nothing of how.
 */
import { z } from 'zod';
import { clip } from '../util/text.js';
import type { WebhookAlert } from './alert-webhook.js';

/**
 * The alerts of deploy/monitoring/rules.yml that request a data refresh, and
 * why. A live gate crossed is reason 'accuracy' whatever its metric: the
 * payload's reason says "the model answers worse", which rmse and mae say too.
 */
export const REFRESH_ALERTS = {
  MlopsLiveAccuracyBelowGate: 'accuracy',
  MlopsLiveRmseAboveGate: 'accuracy',
  MlopsLiveMaeAboveGate: 'accuracy',
  MlopsFeatureDrift: 'drift',
} as const;
type RefreshAlert = keyof typeof REFRESH_ALERTS;
type LiveGateAlert = Exclude<RefreshAlert, 'MlopsFeatureDrift'>;

/**
 * The live-gate alerts in the order a reviewer reads them, with the metric and
 * the gate it crossed; `worse` is the direction in which it crossed.
 */
const LIVE_GATES: Record<LiveGateAlert, { metric: string; crossed: string; worse: 1 | -1 }> = {
  MlopsLiveAccuracyBelowGate: {
    metric: 'accuracy',
    crossed: 'below gates.accuracy.min',
    worse: -1,
  },
  MlopsLiveRmseAboveGate: { metric: 'rmse', crossed: 'above gates.rmse.max', worse: 1 },
  MlopsLiveMaeAboveGate: { metric: 'mae', crossed: 'above gates.mae.max', worse: 1 },
};
const ORDER: readonly RefreshAlert[] = [
  ...(Object.keys(LIVE_GATES) as LiveGateAlert[]),
  'MlopsFeatureDrift',
];

/** Longest summary: it becomes part of a pull request body, beside the workflow's own text. */
export const SUMMARY_MAX = 2000;
/** Most alerts listed in a request: client_payload stays small whatever fires. */
const ALERTS_MAX = 20;

export const RefreshRequestSchema = z.object({
  reason: z.enum(['drift', 'accuracy']),
  /** Markdown: the evidence, at most SUMMARY_MAX characters. */
  summary: z.string().max(SUMMARY_MAX),
  alerts: z
    .array(
      z.object({
        name: z.string(),
        feature: z.string().optional(),
        value: z.number().optional(),
        model_version: z.string().optional(),
      }),
    )
    .max(ALERTS_MAX),
});
export type RefreshRequest = z.infer<typeof RefreshRequestSchema>;

interface Evidence {
  name: RefreshAlert;
  feature?: string;
  value?: number;
  threshold?: number;
  count?: number;
  model_version?: string;
  instance?: string;
  since?: string;
}

const number = (text: string | undefined) => {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
};

const isRefreshAlert = (name: string | undefined): name is RefreshAlert =>
  name !== undefined && Object.hasOwn(REFRESH_ALERTS, name);

/** Text from labels (a feature is a column name of the team's data) made safe in a table cell. */
const cell = (text: string) => clip(text.replace(/[\r\n]+/g, ' '), 80).replace(/[|`\\]/g, '\\$&');

const fixed = (n: number | undefined) => (n === undefined ? '?' : String(Number(n.toFixed(4))));

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const duration = (seconds: number) =>
  seconds % 3600 === 0
    ? `${seconds / 3600} h`
    : seconds % 60 === 0
      ? `${seconds / 60} min`
      : `${seconds} s`;

const list = new Intl.ListFormat('en', { type: 'conjunction' });

function row(e: Evidence): string {
  const model = e.model_version ? `\`${cell(e.model_version)}\`` : '?';
  return e.name === 'MlopsFeatureDrift'
    ? `| drift (PSI) | ${e.feature === undefined ? '?' : cell(e.feature)} | ${fixed(e.value)} | ${fixed(e.threshold)} | ${model} |`
    : `| live ${LIVE_GATES[e.name].metric} | ${e.count === undefined ? '' : plural(e.count, 'feedback row')} | ${fixed(e.value)} | ${fixed(e.threshold)} | ${model} |`;
}

/** "live rmse above gates.rmse.max on 54 feedback rows"; the count is the largest among its alerts. */
function liveHeadline(name: LiveGateAlert, evidence: Evidence[]): string {
  const counts = evidence.flatMap((e) =>
    e.name === name && e.count !== undefined ? [e.count] : [],
  );
  const { metric, crossed } = LIVE_GATES[name];
  return `live ${metric} ${crossed}${counts.length ? ` on ${plural(Math.max(...counts), 'feedback row')}` : ''}`;
}

function summarize(evidence: Evidence[], windowSeconds: number): string {
  const drift = evidence.filter((e) => e.name === 'MlopsFeatureDrift');
  const live = ORDER.filter(
    (name): name is LiveGateAlert =>
      name !== 'MlopsFeatureDrift' && evidence.some((e) => e.name === name),
  );
  const what = [
    ...live.map((name) => liveHeadline(name, evidence)),
    drift.length
      ? `drift on ${plural(new Set(drift.map((e) => e.feature)).size, 'feature')} (PSI above data.drift.psi)`
      : '',
  ].filter(Boolean);
  const since = evidence
    .map((e) => e.since)
    .filter((s): s is string => !!s)
    .sort()[0];
  const instances = [...new Set(evidence.map((e) => e.instance).filter(Boolean))];
  const head = [
    `The production server's live window shows ${list.format(what)}.`,
    '',
    '| alert | feature / rows | value | threshold | model |',
    '| --- | --- | --- | --- | --- |',
  ];
  const tail = [
    '',
    `Firing since ${since ?? 'now'}${instances.length ? ` on ${instances.map((i) => `\`${cell(i!)}\``).join(', ')}` : ''}, over the server's monitoring window (\`mlops serve --monitoring-window\`; \`GET /v1/monitoring\` shows the bins). At most one refresh is requested per ${duration(windowSeconds)}.`,
  ];
  const rows: string[] = [];
  for (const [i, e] of evidence.entries()) {
    const more = `| … and ${evidence.length - i} more | | | | |`;
    const length = [...head, ...rows, row(e), more, ...tail].join('\n').length;
    if (length > SUMMARY_MAX) {
      rows.push(more);
      break;
    }
    rows.push(row(e));
  }
  return clip([...head, ...rows, ...tail].join('\n'), SUMMARY_MAX - 1);
}

/**
 * The refresh that firing alerts call for, or undefined when none of them
 * does (resolved alerts, alerts of other rules). Live gates come first
 * (accuracy, rmse, mae; the worst value of each first), then the most
 * drifted features; `windowSeconds` is how often one may be sent.
 */
export function refreshRequest(
  alerts: readonly WebhookAlert[],
  windowSeconds: number,
): RefreshRequest | undefined {
  const evidence: Evidence[] = [];
  for (const alert of alerts) {
    const name = alert.labels['alertname'];
    if (alert.status !== 'firing' || !isRefreshAlert(name)) continue;
    evidence.push({
      name,
      feature: name === 'MlopsFeatureDrift' ? alert.labels['feature'] : undefined,
      value: number(alert.annotations['value']),
      threshold: number(alert.annotations['threshold']),
      count: number(alert.annotations['feedback_count']),
      model_version: alert.labels['model_version'],
      instance: alert.labels['instance'],
      since: alert.startsAt,
    });
  }
  if (!evidence.length) return undefined;
  const worse = (name: RefreshAlert) => (name === 'MlopsFeatureDrift' ? 1 : LIVE_GATES[name].worse);
  evidence.sort(
    (a, b) =>
      ORDER.indexOf(a.name) - ORDER.indexOf(b.name) ||
      worse(a.name) * ((b.value ?? 0) - (a.value ?? 0)),
  );
  return {
    reason: evidence.some((e) => REFRESH_ALERTS[e.name] === 'accuracy') ? 'accuracy' : 'drift',
    summary: summarize(evidence, windowSeconds),
    alerts: evidence.slice(0, ALERTS_MAX).map((e) => ({
      name: e.name,
      ...(e.feature === undefined ? {} : { feature: e.feature }),
      ...(e.value === undefined ? {} : { value: e.value }),
      ...(e.model_version === undefined ? {} : { model_version: e.model_version }),
    })),
  };
}
