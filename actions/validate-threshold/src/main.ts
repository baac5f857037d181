import * as core from '@actions/core';
import { runAction } from '../../shared/src/run.js';
import { failOnGates } from '../../../pipeline/gate/fail.js';
import { readSettings } from './settings.js';
import { validate } from './validate.js';

/** The action's work. `index.ts` calls it; a local runner can import and call it too. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const { result, reportPath } = await validate(readSettings());
    const failed = result.gates.filter((g) => !g.passed).map((g) => g.name);
    core.setOutput('passed', result.passed === true);
    core.setOutput('failed-gates', JSON.stringify(failed));
    core.setOutput('report-path', reportPath);
    core.setOutput('baseline-version', result.baseline?.model_version ?? '');
    // Each failed gate is annotated on its line of mlops.yaml already; this fails
    // the step as every shell fails on gates, with one more annotation naming them all.
    failOnGates(result);
  });
}
