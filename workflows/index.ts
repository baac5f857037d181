/** Every workflow, by the file it is written to in .github/workflows/. */
import { codeql } from './codeql.js';
import { dataRefresh } from './data-refresh.js';
import { deploy } from './deploy.js';
import { mlopsDataRefresh } from './mlops-data-refresh.js';
import { mlopsComment } from './mlops-comment.js';
import { mlopsDeploy } from './mlops-deploy.js';
import { mlopsPr } from './mlops-pr.js';
import { mlopsRetrain } from './mlops-retrain.js';
import { prComment } from './pr-comment.js';
import { pr } from './pr.js';
import { release } from './release.js';
import { retrain } from './retrain.js';
import { security } from './security.js';
import type { ReusableWorkflow, Workflow } from './types.js';

/** The workflows other repositories call, `uses: <owner>/<repo>/.github/workflows/<file>@v1`. */
export const reusableWorkflows: Record<string, ReusableWorkflow> = {
  'mlops-pr.yml': mlopsPr,
  'mlops-comment.yml': mlopsComment,
  'mlops-retrain.yml': mlopsRetrain,
  'mlops-deploy.yml': mlopsDeploy,
  'mlops-data-refresh.yml': mlopsDataRefresh,
};

export const workflows: Record<string, Workflow> = {
  ...reusableWorkflows,
  'pr.yml': pr,
  'pr-comment.yml': prComment,
  'retrain.yml': retrain,
  'deploy.yml': deploy,
  'release.yml': release,
  'data-refresh.yml': dataRefresh,
  'security.yml': security,
  'codeql.yml': codeql,
};
