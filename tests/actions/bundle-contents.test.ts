/**
 * The actions that only read files carry no TensorFlow.js and no DuckDB:
 * validate-threshold compares metrics with bounds and writes the report,
 * report posts it, and propose commits files and opens a pull request. When every stage lived in one module, validate-threshold
 * bundled tfjs, its three .wasm files and the DuckDB loader (3.66 MB) to compare
 * numbers.
 *
 * How this fails: an import under actions/validate-threshold/src or
 * actions/report/src that reaches tfjs or DuckDB (say, TFJS_VERSION from
 * pipeline/run/context.ts, or loadBundle from pipeline/model/load.ts) puts
 * node_modules/@tensorflow/… or @duckdb/… files among the bundle's inputs, and
 * the first test names them; once the bundle is rebuilt, the committed
 * index.js grows past its bound, holds tfjs's kernel registry and gets the
 * .wasm files beside it, and the second test fails too. The third shows the
 * first is not vacuous: the same build with one tfjs import added is caught.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledInputs } from '../../scripts/build-actions.js';
import { REPO_ROOT } from './helpers/run-action.js';

/**
 * Bytes of dist/index.js, about 1.5× what it measured once tfjs and DuckDB
 * were out (validate-threshold 1,913,020; report 557,110): room to grow, but
 * not for the 1.75 MB that tfjs, DuckDB and data loading added to
 * validate-threshold (3,659,434 bytes before).
 */
const BOUNDS: Record<string, number> = {
  'validate-threshold': 2_900_000,
  report: 840_000,
  // git and the pull requests API only (554,828 bytes when it was written).
  propose: 840_000,
};

/** Code of TensorFlow.js, its wasm setup, DuckDB or its native loader. */
const HEAVY = [
  /node_modules\/@tensorflow\//,
  /node_modules\/@duckdb\//,
  /^actions\/shared\/src\/(tfjs|duckdb-binding)\.ts$/,
];

const heavy = (inputs: string[]) => inputs.filter((p) => HEAVY.some((re) => re.test(p)));

describe('what the light actions bundle', () => {
  it.each(Object.keys(BOUNDS))(
    '%s is built from no tfjs or DuckDB code',
    async (name) => {
      const inputs = await bundledInputs(name);
      expect(inputs).toContain(`actions/${name}/src/main.ts`);
      expect(heavy(inputs)).toEqual([]);
    },
    120_000,
  );

  it.each(Object.keys(BOUNDS))(
    'the committed actions/%s/dist holds no tfjs or DuckDB and stays under its bound',
    async (name) => {
      const dist = join(REPO_ROOT, 'actions', name, 'dist');
      expect((await readdir(dist)).sort()).toEqual(['index.js', 'package.json']);
      const { size } = await stat(join(dist, 'index.js'));
      expect(size).toBeLessThan(BOUNDS[name]!);
      const code = await readFile(join(dist, 'index.js'), 'utf8');
      // Strings minification keeps: tfjs's kernel registry and package names, DuckDB's name.
      expect(code.match(/registerKernel|tfjs-(core|layers|backend)/g)).toBeNull();
      expect(code.match(/duckdb/gi)).toBeNull();
    },
  );

  it('catches a tfjs import added to validate-threshold', async () => {
    const inputs = await bundledInputs(
      'validate-threshold',
      "import { version_core } from '@tensorflow/tfjs-core';\nconsole.log(version_core);\n",
    );
    expect(
      heavy(inputs).filter((p) => /node_modules\/@tensorflow\/tfjs-core\//.test(p)),
    ).not.toEqual([]);
  }, 120_000);
});
