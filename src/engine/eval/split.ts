/**
 * A stratified, seeded train / validation split (what the write-up gets from sklearn's
 * `train_test_split(test_size=f, random_state=seed, stratify=labels)`).
 *
 * sklearn draws with numpy's RNG, which dinolab does not reproduce; what matters, and what is
 * checked, is the property: the validation part has ceil(f * n) rows, each class contributes
 * f * (its count) of them within 1 (the fractional parts are handed out by largest remainder, ties
 * broken by the seed), and the same seed gives the same split.
 */
import { Rng } from '../../shared/rng';

export interface Split {
  /** Row indices, ascending. */
  train: Int32Array;
  val: Int32Array;
}

function shuffleInPlace(a: number[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
}

/** Rows of each class id, in row order. */
function rowsByClass(labels: ArrayLike<number>): Map<number, number[]> {
  const by = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const rows = by.get(labels[i]) ?? [];
    rows.push(i);
    by.set(labels[i], rows);
  }
  return by;
}

/** Splits rows so that a fraction `valFraction` (0 < f < 1) of each class goes to validation. */
export function stratifiedSplit(labels: ArrayLike<number>, valFraction: number, seed: number): Split {
  const n = labels.length;
  if (!(valFraction > 0 && valFraction < 1)) throw new Error(`stratifiedSplit: the validation fraction must be in (0, 1), got ${valFraction}`);
  const nVal = Math.ceil(valFraction * n);
  if (n < 2 || nVal >= n) throw new Error(`stratifiedSplit: ${n} rows cannot give ${nVal} validation rows and at least one training row`);
  const rng = new Rng(seed);
  const classes = [...rowsByClass(labels).entries()].sort((a, b) => a[0] - b[0]);
  // Whole parts first, then one more row for the classes with the largest remainders.
  const quota = classes.map(([, rows]) => Math.floor(valFraction * rows.length));
  const order = classes.map((_, c) => c);
  shuffleInPlace(order, rng); // ties between equal remainders go to a seeded order
  const rem = (c: number) => valFraction * classes[c][1].length - quota[c];
  order.sort((a, b) => rem(b) - rem(a));
  let missing = nVal - quota.reduce((s, q) => s + q, 0);
  for (const c of order) {
    if (missing === 0) break;
    if (quota[c] < classes[c][1].length) {
      quota[c]++;
      missing--;
    }
  }
  const val: number[] = [];
  const train: number[] = [];
  classes.forEach(([, rows], c) => {
    const shuffled = [...rows];
    shuffleInPlace(shuffled, rng);
    val.push(...shuffled.slice(0, quota[c]));
    train.push(...shuffled.slice(quota[c]));
  });
  return { train: Int32Array.from(train).sort(), val: Int32Array.from(val).sort() };
}

interface StratificationReport {
  /** Largest |validation rows of a class - f * rows of that class| over classes. */
  worstDeviation: number;
  /** Whether train and val are disjoint and together hold every row exactly once. */
  partition: boolean;
}

/** How far a split is from exact stratification (the README's rule: each class within 1). */
export function stratification(labels: ArrayLike<number>, split: Split, valFraction: number): StratificationReport {
  const seen = new Uint8Array(labels.length);
  let partition = split.train.length + split.val.length === labels.length;
  for (const i of [...split.train, ...split.val]) {
    if (i < 0 || i >= labels.length || seen[i]) partition = false;
    else seen[i] = 1;
  }
  const valCount = new Map<number, number>();
  for (const i of split.val) valCount.set(labels[i], (valCount.get(labels[i]) ?? 0) + 1);
  let worst = 0;
  for (const [c, rows] of rowsByClass(labels)) worst = Math.max(worst, Math.abs((valCount.get(c) ?? 0) - valFraction * rows.length));
  return { worstDeviation: worst, partition };
}
