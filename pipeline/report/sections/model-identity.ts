/**
 * Which bytes a report is about: the model version and the sha256 of its
 * weights, shown near the top of the report and repeated in a hidden marker
 * with the full values, so a deploy can prove that what goes live is the model
 * whose numbers the reviewer saw (pipeline/deploy/reviewed.ts).
 */
import type { z } from 'zod';
import { ModelDigestSchema, shortSha, type ModelDigest } from '../../model/digest.js';

export const ModelIdentitySchema = ModelDigestSchema.pick({
  model_version: true,
  weights_sha256: true,
});
export type ModelIdentity = z.infer<typeof ModelIdentitySchema>;

const MARKER = /^<!-- mlops-model (\{.*\}) -->$/m;

/** The visible line and the marker that carries the full values. */
export function renderModelIdentity(digest: ModelIdentity | ModelDigest): string {
  const identity: ModelIdentity = {
    model_version: digest.model_version,
    weights_sha256: digest.weights_sha256,
  };
  return [
    `<!-- mlops-model ${JSON.stringify(identity)} -->`,
    `Model \`${identity.model_version}\` · weights sha256 \`${shortSha(identity.weights_sha256)}\``,
  ].join('\n');
}

/** The model a report (or a comment holding one) names; undefined when it names none or the marker is malformed. */
export function parseModelIdentity(text: string): ModelIdentity | undefined {
  const json = MARKER.exec(text)?.[1];
  if (!json) return undefined;
  try {
    const parsed = ModelIdentitySchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
