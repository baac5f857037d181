/**
 * Points esbuild's JavaScript API at the binary the actions ship in
 * actions/vendor/esbuild/ (brotli compressed, unpacked on first use): the API
 * looks for a platform package in node_modules, which a bundled action does not
 * have. The API reads ESBUILD_BINARY_PATH once, when it is evaluated, so this
 * module is imported before it (see esbuild.ts).
 */
import { join } from 'node:path';
import { unpackVendored } from './vendored.js';

process.env['ESBUILD_BINARY_PATH'] = join(unpackVendored('esbuild', 'esbuild'), 'esbuild');
