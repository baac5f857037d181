/**
 * The part of the GitHub Actions workflow syntax these workflows use, as types,
 * so a misspelt key or a job that needs a job that does not exist fails to
 * compile. actionlint checks the generated YAML for everything else.
 */
export type Permission = 'read' | 'write' | 'none';

export type Permissions = Partial<
  Record<
    | 'actions'
    | 'checks'
    | 'contents'
    | 'deployments'
    | 'id-token'
    | 'issues'
    | 'pull-requests'
    | 'security-events'
    | 'statuses',
    Permission
  >
>;

export interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  with?: Record<string, string | number | boolean>;
  run?: string;
  env?: Record<string, string>;
  'continue-on-error'?: boolean;
  'working-directory'?: string;
}

export interface Job {
  name?: string;
  uses?: never;
  'runs-on': string;
  needs?: string[];
  if?: string;
  permissions?: Permissions;
  environment?: string | { name: string; url?: string };
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  'timeout-minutes'?: number;
  outputs?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}

/** A job that runs a reusable workflow: it has no steps, its jobs are the called workflow's. */
export interface CallJob {
  name?: string;
  uses: string;
  needs?: string[];
  if?: string;
  permissions: Permissions;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  with?: Record<string, string | number | boolean>;
  secrets?: Record<string, string> | 'inherit';
}

export interface WorkflowCallInput {
  description: string;
  type: 'string' | 'number' | 'boolean';
  required?: boolean;
  default?: string | number | boolean;
}

export interface WorkflowCallSecret {
  description: string;
  required?: boolean;
}

export interface WorkflowDispatchInput {
  description: string;
  type: 'string' | 'number' | 'boolean' | 'choice';
  required?: boolean;
  default?: string | number | boolean;
  options?: string[];
}

export interface Workflow {
  name: string;
  on: {
    pull_request?: { branches?: string[]; paths?: string[] };
    push?: { branches?: string[]; tags?: string[]; paths?: string[] };
    workflow_run?: { workflows: string[]; types: ('completed' | 'requested')[] };
    workflow_dispatch?: { inputs?: Record<string, WorkflowDispatchInput> };
    schedule?: { cron: string }[];
    repository_dispatch?: { types: string[] };
    workflow_call?: {
      inputs?: Record<string, WorkflowCallInput>;
      secrets?: Record<string, WorkflowCallSecret>;
    };
  };
  permissions: Permissions;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  env?: Record<string, string>;
  jobs: Record<string, Job | CallJob>;
}

/** A workflow other workflows call (`on: workflow_call`): its jobs all have steps. */
export interface ReusableWorkflow extends Workflow {
  jobs: Record<string, Job>;
}
