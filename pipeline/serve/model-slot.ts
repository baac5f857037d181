/**
 * The model being served, and its replacement. A new bundle is loaded and
 * warmed up beside the old one, then swapped in with one assignment. Predicting
 * is synchronous from reading the slot to the result, so no request can see a
 * half-swapped model or hold the old network across the swap; the old one is
 * disposed right after it.
 */
import { loadBundle, type ModelBundle } from '../package/bundle.js';
import { predictRows } from '../predict/predict.js';

export interface LoadedModel {
  bundle: ModelBundle;
  version: string;
  loadedAt: Date;
}

export type ReloadResult =
  | { ok: true; version: string; previous: string | null }
  | { ok: false; error: string; version: string | null };

/** One row that every feature schema accepts (missing values are imputed or rejected, never crash). */
function warmUp(bundle: ModelBundle): void {
  const row: Record<string, unknown> = {};
  for (const f of bundle.preprocess.features)
    row[f.name] = f.type === 'numeric' ? f.mean : (f.categories[0] ?? '');
  // The first prediction compiles kernels; do it before the model takes traffic.
  predictRows(bundle, [row]);
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
   * Load the bundle in `dir` again (it may be a symlink switched to a new
   * release) and swap it in. A bundle that fails to load leaves the current
   * model serving. Reloads are serialised: one started during another waits.
   */
  reload(): Promise<ReloadResult> {
    this.pending = this.pending.then(() => this.load());
    return this.pending;
  }

  private async load(): Promise<ReloadResult> {
    const previous = this.model;
    let bundle: ModelBundle;
    try {
      bundle = await loadBundle(this.dir);
      warmUp(bundle);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!previous) this.lastError = message;
      return { ok: false, error: message, version: previous?.version ?? null };
    }
    this.model = { bundle, version: bundle.metadata.model_version, loadedAt: new Date() };
    this.lastError = undefined;
    previous?.bundle.network.dispose();
    return { ok: true, version: this.model.version, previous: previous?.version ?? null };
  }

  dispose(): void {
    this.model?.bundle.network.dispose();
    this.model = undefined;
  }
}
