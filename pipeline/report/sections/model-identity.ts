/**
 * Which bytes a report is about: the model version and the sha256 of its
 * weights, shown near the top of the report and repeated in a hidden marker
 * with the full values, so a deploy can prove that what goes live is the model
 * whose numbers the reviewer saw (pipeline/deploy/reviewed.ts). Reading the
 * marker back is read-model-identity.ts's, so the shells that only render carry
 * no schema code.
 */
import type { ModelDigest } from '../../model/digest.js';
import { shortSha } from '../../util/hash.js';

export type ModelIdentity = Pick<ModelDigest, 'model_version' | 'weights_sha256'>;

/** The hidden marker's line: its JSON is the first capture. */
export const MODEL_IDENTITY_MARKER = /^<!-- mlops-model (\{.*\}) -->$/m;

/** The visible line and the marker that carries the full values. */
export function renderModelIdentity(digest: ModelIdentity): string {
  const identity: ModelIdentity = {
    model_version: digest.model_version,
    weights_sha256: digest.weights_sha256,
  };
  return [
    `<!-- mlops-model ${JSON.stringify(identity)} -->`,
    `Model \`${identity.model_version}\` · weights sha256 \`${shortSha(identity.weights_sha256)}\``,
  ].join('\n');
}
