/** The model a report names, read back from its hidden marker (model-identity.ts) and checked by the digest's schema. */
import { ModelDigestSchema } from '../../model/digest.js';
import { MODEL_IDENTITY_MARKER, type ModelIdentity } from './model-identity.js';

const ModelIdentitySchema = ModelDigestSchema.pick({ model_version: true, weights_sha256: true });

/** Undefined when the text names no model or its marker is malformed. */
export function parseModelIdentity(text: string): ModelIdentity | undefined {
  const json = MODEL_IDENTITY_MARKER.exec(text)?.[1];
  if (!json) return undefined;
  try {
    const parsed = ModelIdentitySchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
