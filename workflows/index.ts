/** Every workflow, by the file it is written to in .github/workflows/. */
import { deploy } from './deploy.js';
import { prComment } from './pr-comment.js';
import { pr } from './pr.js';
import { retrain } from './retrain.js';
import type { Workflow } from './types.js';

export const workflows: Record<string, Workflow> = {
  'pr.yml': pr,
  'pr-comment.yml': prComment,
  'retrain.yml': retrain,
  'deploy.yml': deploy,
};
