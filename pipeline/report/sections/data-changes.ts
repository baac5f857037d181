/** The "Data changes" section of the pull-request report, from what data diff found. */
import type { DataChangesAgainst } from '../../data/diff/against.js';
import type { DataChanges } from '../../data/diff/compare.js';
import type { ReportSection } from '../markdown.js';

const TITLE = 'Data changes';

const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const pvalue = (p: number) =>
  !Number.isFinite(p) ? '–' : p < 1e-3 ? p.toExponential(1) : p.toFixed(3);
const esc = (s: string) => s.replaceAll('|', '\\|');

export function dataChangesSection(found: DataChangesAgainst): ReportSection {
  if (found.same)
    return {
      title: TITLE,
      heading: `✅ ${TITLE} against \`${found.rev}\`: none`,
      markdown: `The data is the same as at \`${found.rev}\` (md5 \`${found.md5}\`).`,
    };
  return changedSection(found.changes, found.rev);
}

/**
 * When the data could not be compared (a fork's pull request has no
 * credentials for the remote, say): the review still sees that, and why.
 */
export function dataNotComparedSection(rev: string, why: string, hint?: string): ReportSection {
  return {
    title: TITLE,
    heading: `⚪ ${TITLE} against \`${rev}\`: not compared`,
    markdown: [
      `The data could not be compared with \`${rev}\`'s: ${why}`,
      ...(hint ? ['', hint] : []),
    ].join('\n'),
  };
}

function changedSection(changes: DataChanges, rev: string): ReportSection {
  const { base, current, schema, rows, drift, thresholds } = changes;
  const flagged = drift.filter((d) => d.flagged);
  const lines = [
    `\`${base.md5}\` (${base.rows} rows) → \`${current.md5}\` (${current.rows} rows).`,
    '',
    `| Rows | Count |`,
    `| --- | ---: |`,
    `| added | ${rows.added} |`,
    `| removed | ${rows.removed} |`,
    `| changed | ${rows.changed ?? '–'} |`,
    `| unchanged | ${rows.unchanged} |`,
    '',
    rows.byId
      ? `Rows are matched by \`${rows.byId}\`.`
      : 'Rows are matched by their values (set data.id in mlops.yaml to see changed rows).',
  ];
  const schemaLines = [
    ...schema.added.map((c) => `- added column \`${c}\``),
    ...schema.removed.map((c) => `- removed column \`${c}\``),
    ...schema.retyped.map((c) => `- \`${c.column}\`: ${c.from} → ${c.to}`),
  ];
  lines.push(
    '',
    '#### Schema',
    '',
    schemaLines.length ? schemaLines.join('\n') : 'No column was added, removed or retyped.',
  );
  lines.push(
    '',
    '#### Drift per feature',
    '',
    '| Feature | Type | PSI | KS statistic | KS p-value | |',
    '| --- | --- | ---: | ---: | ---: | --- |',
    ...drift.map(
      (d) =>
        `| ${esc(d.feature)} | ${d.type} | ${fmt(d.psi)} | ${d.ks ? fmt(d.ks.statistic) : '–'} | ${d.ks ? pvalue(d.ks.pValue) : '–'} | ${d.flagged ? `⚠️ ${d.reasons.join('; ')}` : '✅'} |`,
    ),
    '',
    `Flagged when PSI > ${thresholds.psi} or KS p-value < ${thresholds.ks_pvalue} (data.drift in mlops.yaml).`,
  );
  return {
    title: TITLE,
    heading: `${flagged.length ? '⚠️' : '✅'} ${TITLE} against \`${rev}\``,
    markdown: lines.join('\n'),
  };
}
