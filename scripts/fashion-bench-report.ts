/**
 * How fashion-bench reports a run against the official code's envelope: the allowed distance
 * outside the official [min, max] per metric, the verdict of one value, and the printed table.
 */
import type { Stat } from './fashion-bench-config';

/** Allowed distance outside the official [min, max], from the README's "within the seed spread" note. */
export const TOLERANCE = { loss: 0.1, teacherEntropy: 0.15, kl: 0.03, knnTop1: 1.0 } as const;
type MetricName = keyof typeof TOLERANCE;

// ---------------------------------------------------------------------------------------------
// Comparison with the official envelope

export type Verdict = 'in' | 'near' | 'OUT' | 'n/a';

export interface Compared {
  ours: number;
  official: Stat | null;
  verdict: Verdict;
  /** (ours - official mean) / official sd. */
  z: number | null;
}

export function compare(ours: number, official: Stat | undefined, metric: MetricName): Compared {
  if (!official) return { ours, official: null, verdict: 'n/a', z: null };
  const tol = TOLERANCE[metric];
  const verdict: Verdict =
    ours >= official.min && ours <= official.max ? 'in' : ours >= official.min - tol && ours <= official.max + tol ? 'near' : 'OUT';
  return { ours, official, verdict, z: official.sd > 0 ? (ours - official.mean) / official.sd : null };
}

export const fmt = (x: number | undefined | null, d = 3): string => (x === undefined || x === null || !Number.isFinite(x) ? '' : x.toFixed(d));

export function cell(c: Compared | undefined, d: number): string {
  if (!c) return ''.padEnd(36);
  if (!c.official) return `${fmt(c.ours, d)}`.padEnd(36);
  const o = c.official;
  return `${fmt(c.ours, d)} ${c.verdict.padEnd(4)} (${fmt(o.mean, d)} [${fmt(o.min, d)}, ${fmt(o.max, d)}])`.padEnd(36);
}

export interface EpochResult {
  epoch: number;
  steps: number;
  loss?: Compared;
  teacherEntropy?: Compared;
  kl?: Compared;
  knnTop1?: Compared;
  knnTop5?: number;
  /** Wall time of this epoch's training steps (k-NN excluded). */
  trainMs?: number;
  msPerStep?: number;
  knnMs?: number;
}

export function printTable(rows: EpochResult[]): void {
  console.log('\nepoch | loss: ours verdict (official mean [min, max]) | teacher entropy | KL | teacher k-NN top-1 % | ms/step');
  console.log('-'.repeat(170));
  for (const r of rows) {
    console.log(
      `${String(r.epoch).padStart(5)} | ${cell(r.loss, 3)} | ${cell(r.teacherEntropy, 3)} | ${cell(r.kl, 3)} | ${cell(r.knnTop1, 1)} | ${fmt(r.msPerStep, 0)}`,
    );
  }
  console.log(
    `verdict: in = inside the official min..max over seeds ${'0-2'}; near = outside by at most the README's spread ` +
      `(loss ${TOLERANCE.loss}, entropy ${TOLERANCE.teacherEntropy}, KL ${TOLERANCE.kl}, k-NN ${TOLERANCE.knnTop1} pt); OUT = further out`,
  );
}

// ---------------------------------------------------------------------------------------------

export const hms = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m${String(s % 60).padStart(2, '0')}s`;
};

