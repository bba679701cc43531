/**
 * Collapse diagnosis from the teacher entropy H(Pt) and KL(Pt || Ps) curves (DINO paper, section
 * 5.3 and figure 7). When KL stays near 0 the student already matches the teacher and the loss
 * carries no signal; the entropy says which of the two collapses happened:
 * - H near 0: the teacher puts all its mass on one dimension (centering missing or too weak);
 * - H near ln K: the teacher is uniform (sharpening too weak).
 */

export type CollapseKind = 'one-dimension' | 'uniform';

export interface CollapseDiagnosis {
  kind: CollapseKind;
  /** First step of the current run of near-zero KL. */
  sinceStep: number;
  /** Mean teacher entropy over that run, nats. */
  entropy: number;
  message: string;
}

export interface CollapseOptions {
  /** KL below this (nats) counts as "near 0". */
  klThreshold?: number;
  /** The KL must stay low for at least this many training steps. */
  window?: number;
}

export const COLLAPSE_MESSAGES: Record<CollapseKind, string> = {
  'one-dimension':
    'Collapse to one dimension: the teacher puts all its mass on a single prototype, so the student learns nothing. ' +
    'Centering is off or too weak — turn centering on / lower the center momentum.',
  uniform:
    'Uniform collapse: the teacher output is flat (entropy ≈ ln K), so the student learns nothing. ' +
    'Sharpening is too weak — lower the teacher temperature.',
};

/**
 * Diagnose collapse from metric rows (steps ascending). Returns null while KL is not near 0, or has
 * not been near 0 for `window` steps. Steps between metric read-backs count as low when the rows on
 * both sides are: with metrics every 5 steps, 4 low rows cover 20 steps.
 */
export function detectCollapse(
  steps: ArrayLike<number>,
  kl: ArrayLike<number>,
  entropy: ArrayLike<number>,
  lnK: number,
  { klThreshold = 0.01, window = 20 }: CollapseOptions = {},
): CollapseDiagnosis | null {
  const n = Math.min(steps.length, kl.length, entropy.length);
  if (n === 0) return null;
  let first = n;
  while (first > 0 && Math.abs(kl[first - 1]) < klThreshold) first--;
  if (first === n) return null;
  const coveredSince = first > 0 ? steps[first - 1] : steps[first] - 1;
  if (steps[n - 1] - coveredSince < window) return null;
  let sum = 0;
  for (let i = first; i < n; i++) sum += entropy[i];
  const h = sum / (n - first);
  const kind: CollapseKind = h < lnK / 2 ? 'one-dimension' : 'uniform';
  return { kind, sinceStep: steps[first], entropy: h, message: COLLAPSE_MESSAGES[kind] };
}
