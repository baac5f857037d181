/**
 * Alertmanager's webhook body (version 4): what its `webhook_configs` receiver
 * POSTs for a group of alerts. Only the fields a data-refresh request reads are
 * checked; Alertmanager's others (groupKey, externalURL …) pass through.
 * https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */
import { z } from 'zod';

const Labels = z.record(z.string(), z.string());

export const WebhookAlertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: Labels,
  annotations: Labels.default({}),
  startsAt: z.string().optional(),
});

export const AlertmanagerWebhookSchema = z.looseObject({
  version: z.literal('4'),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  groupLabels: Labels.optional(),
  alerts: z.array(WebhookAlertSchema).max(1000),
});

export type WebhookAlert = z.infer<typeof WebhookAlertSchema>;
