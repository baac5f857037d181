/**
 * The one error type users see. `code` says which part of their world is wrong
 * (their config, their data, a remote, a gate …); shells map it to an exit status
 * or an annotation, and the message names the file, key path, column or row.
 */
export type ErrorCode =
  | 'config' // mlops.yaml or a --set override
  | 'usage' // command-line arguments
  | 'data' // the dataset, its pointer or its contract
  | 'model' // a saved model that cannot be read or does not fit the input
  | 'input' // rows given for prediction
  | 'remote' // a DVC remote or object store
  | 'gate' // a quality gate failed
  | 'deploy'; // the VM, its SSH connection or the release on it

export interface ErrorLocation {
  file: string;
  line?: number;
  column?: number;
}

export class PipelineError extends Error {
  override readonly name = 'PipelineError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { hint?: string; location?: ErrorLocation; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  get hint(): string | undefined {
    return this.details.hint;
  }
}

/** Exit statuses shared by every shell: 0 ok, 1 a gate failed, 2 bad input, 3 a bug of ours. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof PipelineError) return error.code === 'gate' ? 1 : 2;
  return 3;
}
