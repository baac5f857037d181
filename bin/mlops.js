#!/usr/bin/env node
// The `mlops` command. The library is TypeScript run through tsx, so a developer's
// edit is live on the next call with no build step in between.
import { register } from 'tsx/esm/api';

register();
await import('../pipeline/cli/main.ts');
