import { PipelineError } from '../../../pipeline/errors.js';
import { lines, required, secret, text } from '../../shared/src/inputs.js';

export interface ProposeSettings {
  branch: string;
  title: string;
  paths: string[];
  bodyFile: string;
  base: string;
  token: string;
}

export function readSettings(): ProposeSettings {
  // Masked first: nothing below may print it.
  const token = secret('github-token');
  const paths = lines('paths');
  if (!paths.length)
    throw new PipelineError('usage', 'input "paths" is required and was not given', {
      hint: 'Name what to commit, one pathspec per line: paths: "*.dvc"',
    });
  const base = text('base') || process.env['GITHUB_REF_NAME'] || '';
  if (!base)
    throw new PipelineError('usage', 'input "base" is empty and GITHUB_REF_NAME is not set', {
      hint: 'Name the branch to open the pull request against: base: main',
    });
  return {
    branch: required('branch'),
    title: required('title'),
    paths,
    bodyFile: required('body-file'),
    base,
    token,
  };
}
