import type { EpochLog } from '../train/fit.js';
import type { TrialRecord } from '../search/search.js';

/** What a running pipeline tells its shell; the shell decides how to show it. */
export interface RunEvents {
  stage?(name: string, detail: string): void;
  epoch?(log: EpochLog, epochs: number, trial?: number): void;
  trial?(record: TrialRecord, trials: number): void;
}
