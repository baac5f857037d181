/**
 * Reviewed equals deployed: before a release connects anywhere, the model about
 * to go live is matched with the model the pull request's report comment named
 * (its version and the sha256 of its weights, pipeline/report/sections/model-identity.ts).
 * The shell gathers the evidence (which pull request was merged as the commit,
 * its comment); this decides, and says why in words a maintainer acts on.
 *
 * Same version, same weights: the reviewed model. Same version, other weights:
 * the same inputs trained other bytes (a tampered artifact, another backend), so
 * the deploy stops. Another version: main moved past the pull request's head
 * (data, config or training code), or trained on another engine (part of the
 * version), so the model trained on main goes live, gated against production
 * by the workflow, and the pull request is told.
 * No pull request, no comment, or a comment about an older push: nothing was
 * reviewed, so the deploy stops unless unreviewed deploys are allowed.
 */
import type { ModelIdentity } from '../report/sections/model-identity.js';
import { shortSha } from '../util/hash.js';

/** What the shell found about the review of the commit being deployed. */
export interface ReviewEvidence {
  /** The commit being deployed. */
  commit: string;
  /** The pull request merged as this commit; undefined for a direct push. */
  pullRequest?: {
    number: number;
    /** Its head when it was merged. */
    headSha: string;
    /** Our report comment on it, when there is one. */
    comment?: {
      url: string;
      /** The head commit the comment describes, when it says. */
      head?: string | undefined;
      /** The model the comment's report names, when it names one. */
      model?: ModelIdentity | undefined;
    };
  };
}

export interface ReviewCheck {
  /** The model about to be deployed. */
  deployed: ModelIdentity;
  /** Undefined when the review was not looked up (it is not required). */
  evidence?: ReviewEvidence | undefined;
  /** false allows a deploy with no review to match (repositories without pull requests). */
  requireReview: boolean;
}

export type ReviewDecision =
  | { kind: 'reviewed'; deploy: true; pullRequest: number; summary: string }
  | {
      kind: 'main-moved';
      deploy: true;
      pullRequest: number;
      reviewed: ModelIdentity;
      summary: string;
      /** For a new comment on the merged pull request. */
      comment: string;
    }
  | { kind: 'unreviewed'; deploy: true; summary: string }
  | { kind: 'refused'; deploy: false; message: string; hint: string };

const NOT_DEPLOYED = 'nothing was deployed';
const ALLOW_UNREVIEWED =
  'To deploy without a review (a repository without pull requests), set the deploy-vm input require-review: false.';

const short = (sha: string) => sha.slice(0, 12);
const describe = (m: ModelIdentity) =>
  `version \`${m.model_version}\`, weights sha256 \`${m.weights_sha256}\``;

/** Why nothing reviewed can be matched, or undefined when the comment names a model for the merged head. */
function missingReview(
  evidence: ReviewEvidence | undefined,
  deployed: ModelIdentity,
): string | undefined {
  if (!evidence) return 'no review was looked up';
  const pr = evidence.pullRequest;
  if (!pr)
    return `commit ${short(evidence.commit)} is not the merge of a pull request, so no review names model ${deployed.model_version}`;
  const c = pr.comment;
  if (!c)
    return `pull request #${pr.number} has no report comment from this repository's workflow, so no review names model ${deployed.model_version}`;
  if (!c.head)
    return `the report comment on pull request #${pr.number} does not say which commit it describes (${c.url})`;
  if (c.head !== pr.headSha)
    return `the report comment on pull request #${pr.number} describes ${short(c.head)}, not its merged head ${short(pr.headSha)}: the last push's run never reported (${c.url})`;
  if (!c.model)
    return `the report comment on pull request #${pr.number} names no model for ${short(pr.headSha)}: its run uploaded no report (${c.url})`;
  return undefined;
}

export function decideReviewed(check: ReviewCheck): ReviewDecision {
  const { deployed, evidence } = check;
  const missing = missingReview(evidence, deployed);
  if (missing) {
    if (check.requireReview)
      return {
        kind: 'refused',
        deploy: false,
        message: `${missing}; ${NOT_DEPLOYED}`,
        hint: `Merge through a pull request whose report comment is up to date (re-run its pr.yml when the last run did not finish). ${ALLOW_UNREVIEWED}`,
      };
    return {
      kind: 'unreviewed',
      deploy: true,
      summary: `Deployed model ${describe(deployed)} without a review (require-review is false): ${missing}.`,
    };
  }
  const pr = evidence!.pullRequest!;
  const reviewed = pr.comment!.model!;
  const number = pr.number;
  if (reviewed.model_version === deployed.model_version) {
    if (reviewed.weights_sha256 === deployed.weights_sha256)
      return {
        kind: 'reviewed',
        deploy: true,
        pullRequest: number,
        summary: `Deployed the reviewed model: ${describe(deployed)} (pull request #${number}).`,
      };
    return {
      kind: 'refused',
      deploy: false,
      message: `model ${deployed.model_version}: weights sha256 ${shortSha(deployed.weights_sha256)} differ from the reviewed ${shortSha(reviewed.weights_sha256)} (pull request #${number}): the same data, config and training code gave other bytes than the reviewer saw; ${NOT_DEPLOYED}`,
      hint: "Either the model artifact was altered, or training is not reproducible between the two runs: compare the backend and versions in the two reports' lineage.",
    };
  }
  const why = `the merged commit ${short(evidence!.commit)} trains another model than the pull request's head ${short(pr.headSha)} (main moved, or it trained on another engine: its data, config, training code or engine differ), so the model trained on main went live, after the gates against production; the reviewed model was not deployed`;
  return {
    kind: 'main-moved',
    deploy: true,
    pullRequest: number,
    reviewed,
    summary: `Deployed model ${describe(deployed)} instead of the reviewed model ${describe(reviewed)} (pull request #${number}): ${why}.`,
    comment: [
      DEPLOY_COMMENT_MARKER,
      `### Deployed: \`${deployed.model_version}\` instead of the reviewed \`${reviewed.model_version}\``,
      '',
      `The model that went live is ${describe(deployed)}; this pull request's report reviewed ${describe(reviewed)}.`,
      '',
      `Why: ${why}.`,
      '',
    ].join('\n'),
  };
}

/** Heads the deploy's comment on a pull request, so it is never taken for the report. */
export const DEPLOY_COMMENT_MARKER = '<!-- mlops-deploy -->';
