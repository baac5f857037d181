/**
 * The comment for one pr.yml run, whatever its outcome: the report when the run
 * passed; when it did not, what failed (job and step, linked) above whatever
 * report it uploaded, or instead of it; and for a run the pull request has moved
 * past, only that. The head commit the comment describes is recorded in it, so a
 * late result for an older commit never replaces the head's.
 */
import { REPORT_MARKER } from '../../../pipeline/report/markdown.js';
import { headMarker } from '../../shared/src/sticky-comment.js';
import type { FailedJob, WorkflowRun } from './run.js';

/** A report posted as it is (a pull_request run), with the head commit it describes marked under its first line. */
export function markHead(report: string, sha: string): string {
  const text = withoutMarker(report);
  return [REPORT_MARKER, headMarker(sha), text].join('\n');
}

/** Names from the pull request's workflow file: inline code that nothing can break out of. */
function code(text: string, inTable = false): string {
  let clean = text
    .replace(/[\r\n`]+/g, ' ')
    .trim()
    .slice(0, 120);
  // A table cell ends at a bare |, inside code too.
  if (inTable) clean = clean.replaceAll('|', '\\|');
  return `\`${clean || '?'}\``;
}

const short = (sha: string) => code(sha.slice(0, 7));

function runLink(run: WorkflowRun): string {
  return `[${run.name} run${run.runNumber ? ` #${run.runNumber}` : ''}](${run.url})`;
}

const VERDICT: Record<string, [icon: string, text: string]> = {
  failure: ['❌', 'failed'],
  timed_out: ['❌', 'timed out'],
  startup_failure: ['❌', 'could not start'],
  cancelled: ['⚪', 'was cancelled'],
  action_required: ['⏸️', 'waits for a maintainer to approve it'],
};

function withoutMarker(report: string): string {
  return report.replace(REPORT_MARKER, '').replace(/^\s*\n/, '');
}

export interface OutcomeInput {
  run: WorkflowRun;
  /** The report the run uploaded, when it uploaded one. */
  report?: string;
  failed: FailedJob[];
  /** The pull request's head now, when it is known. */
  prHead?: string;
}

export function isSuperseded(input: Pick<OutcomeInput, 'run' | 'prHead'>): boolean {
  return !!input.prHead && input.prHead !== input.run.headSha;
}

export function renderOutcome(input: OutcomeInput): string {
  const { run, report, failed } = input;
  const described = input.prHead ?? run.headSha;
  const top = [REPORT_MARKER, headMarker(described)];
  if (isSuperseded(input))
    return [
      ...top,
      `## ⏳ ${code(input.prHead!.slice(0, 7))} is being checked`,
      '',
      `The pull request's head moved to ${short(input.prHead!)} while ${runLink(run)} checked ${short(run.headSha)} (${run.conclusion}); the report for ${short(input.prHead!)} replaces this comment when its run finishes.`,
      '',
    ].join('\n');

  if (run.conclusion === 'success') {
    if (report) return [...top, withoutMarker(report)].join('\n');
    return [
      ...top,
      `## ⚠️ ${runLink(run)} passed but uploaded no report`,
      '',
      `For ${short(run.headSha)}. Nothing below is from an earlier push.`,
      '',
    ].join('\n');
  }

  const [icon, text] = VERDICT[run.conclusion] ?? ['⚪', `ended: ${run.conclusion}`];
  const first = failed[0];
  const where = first ? `: ${code(first.name)}${first.step ? ` › ${code(first.step)}` : ''}` : '';
  const lines = [...top, `## ${icon} ${code(run.name)} ${text}${where}`, ''];
  if (failed.length)
    lines.push(
      '| Job | Step | Result |',
      '| --- | --- | --- |',
      ...failed.map(
        (j) =>
          `| ${code(j.name, true)} | ${j.step ? code(j.step, true) : '–'} | ${j.url ? `[${j.conclusion}](${j.url})` : j.conclusion} |`,
      ),
      '',
    );
  lines.push(
    `${runLink(run)} for ${short(run.headSha)}. ${
      report
        ? 'Below, the report it uploaded before the run ended.'
        : 'It uploaded no report; nothing here is from an earlier push.'
    }`,
    '',
  );
  if (report) lines.push('---', '', withoutMarker(report));
  return lines.join('\n');
}
