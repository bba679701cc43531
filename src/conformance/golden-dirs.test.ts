import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findCases, goldenCaseDirs, goldenRoots } from './golden-dirs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function makeCase(dir: string, format: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ format }));
  return dir;
}

describe('golden case discovery', () => {
  it('finds the in-repository case with no environment and nothing beside the repository', () => {
    // The roots a bare clone has: only the repository's own test-data/golden*.
    const inRepo = goldenRoots({}).filter((r) => r.startsWith(path.join(REPO, 'test-data')));
    expect(inRepo).toContain(path.join(REPO, 'test-data', 'golden'));
    const cases = findCases(inRepo);
    expect(cases.map((c) => c.name)).toContain('vit-p8-tiny');
    expect(cases.find((c) => c.name === 'vit-p8-tiny')!.dir).toBe(path.join(REPO, 'test-data', 'golden', 'vit-p8-tiny'));
    expect(goldenCaseDirs(inRepo).length).toBeGreaterThan(0);
  });

  it('looks in test-data/golden* first, then ../shared/golden*', () => {
    const roots = goldenRoots({});
    const firstShared = roots.findIndex((r) => r.startsWith(path.resolve(REPO, '../shared')));
    const lastRepo = roots.map((r) => r.startsWith(path.join(REPO, 'test-data'))).lastIndexOf(true);
    expect(lastRepo).toBeGreaterThanOrEqual(0);
    if (firstShared >= 0) expect(firstShared).toBeGreaterThan(lastRepo);
  });

  it('uses $GOLDEN_DIR alone when it is set', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'golden-'));
    expect(goldenRoots({ GOLDEN_DIR: tmp })).toEqual([tmp]);
  });

  it('reads every root generically: case folders of any format, a root that is a case, duplicates from the first root', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'golden-'));
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'b');
    makeCase(path.join(a, 'case-one'), 'dino-golden-v1');
    makeCase(path.join(a, 'eval-one'), 'dino-seed-eval-v1');
    mkdirSync(path.join(a, 'not-a-case'));
    writeFileSync(path.join(a, 'README.md'), 'not a case');
    makeCase(path.join(b, 'case-one'), 'dino-golden-v1');
    makeCase(path.join(b, 'case-two'), 'dino-golden-v1');
    const single = makeCase(path.join(tmp, 'single'), 'dino-golden-v1');

    const found = findCases([a, b, single, path.join(tmp, 'missing')]);
    expect(found.map((c) => [c.name, path.relative(tmp, c.dir), c.format])).toEqual([
      ['case-one', 'a/case-one', 'dino-golden-v1'],
      ['case-two', 'b/case-two', 'dino-golden-v1'],
      ['eval-one', 'a/eval-one', 'dino-seed-eval-v1'],
      ['single', 'single', 'dino-golden-v1'],
    ]);
    expect(goldenCaseDirs([a]).map((d) => path.basename(d))).toEqual(['case-one']);
  });

  it('throws rather than passing vacuously when there is no case', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'golden-'));
    expect(() => goldenCaseDirs([tmp])).toThrow(/no dino-golden-v1 cases found/);
  });
});
