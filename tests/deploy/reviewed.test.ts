/**
 * The decision before a deploy connects: the reviewed model goes live, other
 * bytes of the same version stop it, a model of another version (main moved)
 * goes live with the pull request told, and a missing or stale review stops it
 * unless reviews are not required.
 */
import { describe, expect, it } from 'vitest';
import { decideReviewed, type ReviewEvidence } from '../../pipeline/deploy/reviewed.js';
import { renderModelIdentity } from '../../pipeline/report/sections/model-identity.js';
import { parseModelIdentity } from '../../pipeline/report/sections/read-model-identity.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const HEAD = '1'.repeat(40);
const MERGE = '2'.repeat(40);
const model = (version: string, weights: string) => ({
  model_version: version,
  weights_sha256: weights,
});

function evidence(
  comment: Partial<NonNullable<NonNullable<ReviewEvidence['pullRequest']>['comment']>> = {},
): ReviewEvidence {
  return {
    commit: MERGE,
    pullRequest: {
      number: 7,
      headSha: HEAD,
      comment: {
        url: 'https://github.com/o/r/pull/7#c',
        head: HEAD,
        model: model('v1', A),
        ...comment,
      },
    },
  };
}

describe('model identity in the report', () => {
  it('shows the version and the short weights sha256, and carries the full values', () => {
    const text = renderModelIdentity(model('v1', A));
    expect(text).toContain(`Model \`v1\` · weights sha256 \`${'a'.repeat(12)}\``);
    expect(parseModelIdentity(`# report\n\n${text}\n`)).toEqual(model('v1', A));
  });

  it('finds no model in a body without a marker or with a malformed one', () => {
    expect(parseModelIdentity('Model `v1`')).toBeUndefined();
    expect(parseModelIdentity('<!-- mlops-model {"model_version":"v1"} -->')).toBeUndefined();
    expect(parseModelIdentity('<!-- mlops-model {not json} -->')).toBeUndefined();
  });
});

describe('reviewed equals deployed', () => {
  it('deploys the reviewed model: same version, same weights', () => {
    const d = decideReviewed({
      deployed: model('v1', A),
      evidence: evidence(),
      requireReview: true,
    });
    expect(d.kind).toBe('reviewed');
    expect(d.deploy && d.summary).toContain(
      `the reviewed model: version \`v1\`, weights sha256 \`${A}\``,
    );
  });

  it('stops on other weights of the same version, naming both and the pull request', () => {
    const d = decideReviewed({
      deployed: model('v1', B),
      evidence: evidence(),
      requireReview: true,
    });
    expect(d.kind).toBe('refused');
    expect(!d.deploy && d.message).toMatch(
      /^model v1: weights sha256 b{12} differ from the reviewed a{12} \(pull request #7\): .*nothing was deployed$/,
    );
    // Not even require-review false deploys bytes that contradict a review.
    expect(
      decideReviewed({ deployed: model('v1', B), evidence: evidence(), requireReview: false }).kind,
    ).toBe('refused');
  });

  it('deploys the model trained on main when main moved, and words a comment saying so', () => {
    const d = decideReviewed({
      deployed: model('v2', B),
      evidence: evidence(),
      requireReview: true,
    });
    if (d.kind !== 'main-moved') throw new Error(d.kind);
    expect(d.pullRequest).toBe(7);
    for (const text of [d.summary, d.comment]) {
      expect(text).toContain('`v2`');
      expect(text).toContain('`v1`');
      expect(text).toMatch(/main moved/);
    }
    expect(d.comment.startsWith('<!-- mlops-deploy -->')).toBe(true);
  });

  it.each([
    ['a direct push', { commit: MERGE }, /commit 222222222222 is not the merge of a pull request/],
    [
      'no comment',
      { commit: MERGE, pullRequest: { number: 7, headSha: HEAD } },
      /pull request #7 has no report comment/,
    ],
    [
      'a comment about an older push',
      evidence({ head: '3'.repeat(40) }),
      /describes 333333333333, not its merged head 111111111111/,
    ],
    ['a comment without a head', evidence({ head: undefined }), /does not say which commit/],
    ['a comment naming no model', evidence({ model: undefined }), /names no model/],
  ] as const)('stops on %s unless review is not required', (_, found, reason) => {
    const refused = decideReviewed({
      deployed: model('v1', A),
      evidence: found,
      requireReview: true,
    });
    if (refused.kind !== 'refused') throw new Error(refused.kind);
    expect(refused.message).toMatch(reason);
    expect(refused.message).toMatch(/nothing was deployed$/);
    expect(refused.hint).toMatch(/require-review: false/);
    const allowed = decideReviewed({
      deployed: model('v1', A),
      evidence: found,
      requireReview: false,
    });
    expect(allowed.kind).toBe('unreviewed');
    expect(allowed.deploy && allowed.summary).toMatch(reason);
  });

  it('deploys unreviewed when no review was looked up because none is required', () => {
    const d = decideReviewed({ deployed: model('v1', A), requireReview: false });
    expect(d.kind).toBe('unreviewed');
    expect(d.deploy && d.summary).toMatch(/without a review \(require-review is false\)/);
  });
});
