/** Element-wise comparison with the golden README's rule |actual - expected| <= atol + rtol * |expected|. */

export interface CheckResult {
  group: string;
  name: string;
  pass: boolean;
  maxAbs: number;
  maxRel: number;
  atol: number;
  rtol: number;
  note?: string;
  /** A figure reported beside the checks (a timing), not judged: printed as INFO, not counted. */
  info?: boolean;
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

export function compareArrays(
  group: string,
  name: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  skip?: (i: number) => boolean,
): CheckResult {
  const base = { group, name, atol: tol.atol, rtol: tol.rtol };
  if (actual.length !== expected.length) {
    return { ...base, pass: false, maxAbs: NaN, maxRel: NaN, note: `length ${actual.length} != expected ${expected.length}` };
  }
  let maxAbs = 0;
  let maxRel = 0;
  let pass = true;
  let skipped = 0;
  for (let i = 0; i < expected.length; i++) {
    if (skip?.(i)) {
      skipped++;
      continue;
    }
    const a = actual[i];
    const e = expected[i];
    const d = Math.abs(a - e);
    if (!(d <= tol.atol + tol.rtol * Math.abs(e))) pass = false; // NaN fails too
    if (!(d <= maxAbs)) maxAbs = d;
    if (e !== 0 && !(d / Math.abs(e) <= maxRel)) maxRel = d / Math.abs(e);
  }
  return { ...base, pass, maxAbs, maxRel, note: skipped ? `${skipped} elements checked separately` : undefined };
}

export function exactCheck(group: string, name: string, ok: boolean, note?: string): CheckResult {
  return { group, name, pass: ok, maxAbs: ok ? 0 : NaN, maxRel: ok ? 0 : NaN, atol: 0, rtol: 0, note };
}

export function formatCheck(c: CheckResult): string {
  const num = (x: number) => (Number.isNaN(x) ? '   n/a   ' : x.toExponential(2).padStart(9));
  return `${c.info ? 'INFO' : c.pass ? 'PASS' : 'FAIL'}  ${`${c.group}/${c.name}`.padEnd(46)} max|d| ${num(c.maxAbs)}  max rel ${num(c.maxRel)}  tol atol=${c.atol} rtol=${c.rtol}${c.note ? `  (${c.note})` : ''}`;
}
