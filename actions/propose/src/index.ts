// The entry the bundle starts from: main.ts only defines run().
import { run } from './main.js';

await run();
