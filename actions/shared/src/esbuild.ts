/**
 * What a bundled action loads in place of `esbuild` (scripts/build-actions.ts):
 * the same JavaScript API, bundled, driving the vendored binary. Only the
 * compiling of a team's model module or trainer imports it, lazily, so the
 * built-in kinds never unpack the binary.
 */
import './esbuild-binary.js';

export * from 'esbuild';
