/**
 * The model being served, and its replacement. A new bundle is loaded,
 * checked (model-check.ts) and warmed up beside the old one, then swapped in with one assignment. Predicting
 * is synchronous from reading the slot to the result, so no request can see a
 * half-swapped model or hold the old network across the swap; the old one is
 * disposed right after it.
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { loadBundle, type ModelBundle } from '../model/load.js';
import { readProfile, type Profile } from '../monitor/profile.js';
import { checkBundle } from './model-check.js';

export interface LoadedModel {
  bundle: ModelBundle;
  /** The training profile live traffic is compared with; undefined for a bundle without one. */
  profile: Profile | undefined;
  version: string;
  /** The folder it was loaded from, symlinks resolved. */
  dir: string;
  /**
   * The name of the folder holding that one. Under a deploy's layout
   * (`current -> releases/<release>`, model in `<release>/model`) it is the
   * release, which tells two releases of the same model apart.
   */
  release: string;
  loadedAt: Date;
}

export type ReloadResult =
  | { ok: true; version: string; previous: string | null }
  | { ok: false; error: string; version: string | null };

/** A typical row of the model's features: the training means and first categories. */
export function exampleRow(bundle: ModelBundle): Record<string, number | string> {
  const row: Record<string, number | string> = {};
  for (const f of bundle.preprocess.features)
    row[f.name] = f.type === 'numeric' ? Number(f.mean.toPrecision(4)) : (f.categories[0] ?? '');
  return row;
}

/** `dir` with symlinks resolved; as given when it does not exist, so the load names what is missing. */
async function resolveLinks(dir: string): Promise<string> {
  try {
    return await realpath(dir);
  } catch {
    return dir;
  }
}

export class ModelSlot {
  private model: LoadedModel | undefined;
  private lastError: string | undefined;
  private pending: Promise<ReloadResult> = Promise.resolve({ ok: false, error: '', version: null });

  constructor(readonly dir: string) {}

  get current(): LoadedModel | undefined {
    return this.model;
  }

  /** Why no model is loaded, when none is. */
  get error(): string | undefined {
    return this.lastError;
  }

  /**
   * Load the bundle in `dir` again and swap it in. Symlinks in `dir` are
   * resolved once, when the reload starts, so a deploy that switches `current`
   * is followed, and every file comes from the one release it pointed to then. A bundle that fails to load leaves the current
   * model serving. Reloads are serialised: one started during another waits.
   */
  reload(): Promise<ReloadResult> {
    this.pending = this.pending.then(() => this.load());
    return this.pending;
  }

  private async load(): Promise<ReloadResult> {
    const previous = this.model;
    let bundle: ModelBundle | undefined;
    let profile: Profile | undefined;
    let dir: string;
    try {
      dir = await resolveLinks(this.dir);
      bundle = await loadBundle(dir);
      profile = await readProfile(dir);
      // Checked, and run once (compiling its kernels), before it takes traffic.
      checkBundle(bundle, dir);
    } catch (error) {
      bundle?.network.dispose();
      const message = error instanceof Error ? error.message : String(error);
      if (!previous) this.lastError = message;
      return { ok: false, error: message, version: previous?.version ?? null };
    }
    this.model = {
      bundle,
      profile,
      version: bundle.metadata.model_version,
      dir,
      release: basename(dirname(dir)),
      loadedAt: new Date(),
    };
    this.lastError = undefined;
    previous?.bundle.network.dispose();
    return { ok: true, version: this.model.version, previous: previous?.version ?? null };
  }

  dispose(): void {
    this.model?.bundle.network.dispose();
    this.model = undefined;
  }
}
