#!/usr/bin/env node
// The `mlops` command. The library is TypeScript: it runs from a bundle rebuilt
// whenever a source changes (bundle-cache.js), else through tsx, so a
// developer's edit is live on the next call with no build step in between.
import { pathToFileURL } from 'node:url';
import { cachedBundle } from './bundle-cache.js';

const bundle = process.env.MLOPS_NO_BUNDLE ? undefined : await cachedBundle();
if (bundle) {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../pipeline/cli/main.ts');
}
