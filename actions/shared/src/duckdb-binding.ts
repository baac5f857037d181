/**
 * What a bundled action loads in place of `@duckdb/node-bindings`: the same
 * native module, shipped once for all actions in actions/vendor/duckdb/ (brotli
 * compressed: libduckdb.so is 70 MB raw) and unpacked on first use into the
 * runner's temp folder. The package's own loader picks a platform package from
 * node_modules, which a bundled action does not have.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { unpackVendored } from './vendored.js';

// duckdb.node finds libduckdb.so beside itself (RUNPATH $ORIGIN).
export default createRequire(import.meta.url)(
  join(unpackVendored('duckdb', 'DuckDB'), 'duckdb.node'),
) as unknown;
