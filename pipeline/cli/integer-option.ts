/** An integer option of the command line, within bounds, or a usage error naming the option. */
import { PipelineError } from '../errors.js';

export const integer =
  (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new PipelineError(
        'usage',
        `${name} ${value}: expected an integer from ${min} to ${max}`,
      );
    return n;
  };
