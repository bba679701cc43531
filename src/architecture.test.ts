/**
 * The layering of `src/` (see STYLE.md): shared is pure; the engine may use tfjs but no UI or DOM;
 * the UI never imports tfjs, the engine or the worker's internals; the worker never imports the UI.
 * Test support (`src/test-support/`, any `*test-helpers*` file) is for tests only: no product
 * file (nor script) imports it.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.dirname(fileURLToPath(import.meta.url));
const SCRIPTS = path.resolve(SRC, '../scripts');
const TEST_SUPPORT = path.join(SRC, 'test-support');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return files(p);
    return /\.(ts|tsx|mjs)$/.test(f) && !/\.test\.tsx?$/.test(f) ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g)].map(
    (m) => m[1] ?? m[2] ?? m[3],
  );
}

/** The top-level src folder an import resolves into, or the package name. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
  const abs = path.resolve(path.dirname(file), spec);
  return `src/${path.relative(SRC, abs).split(path.sep)[0]}`;
}

/** Test support: anything under src/test-support, or a `*test-helpers*` file anywhere. */
function isTestSupportFile(abs: string): boolean {
  return abs === TEST_SUPPORT || abs.startsWith(TEST_SUPPORT + path.sep) || /test-helpers/.test(path.basename(abs));
}

/** Whether `spec`, imported by `file`, is test support. */
function isTestSupport(file: string, spec: string): boolean {
  return spec.startsWith('.') && isTestSupportFile(path.resolve(path.dirname(file), spec));
}

const rules: Record<string, (t: string) => boolean> = {
  shared: (t) => t.startsWith('@tensorflow') || ['react', 'react-dom', 'zustand', 'd3', 'src/engine', 'src/ui', 'src/worker'].includes(t),
  engine: (t) => ['react', 'react-dom', 'zustand', 'd3', 'src/ui', 'src/worker'].includes(t),
  worker: (t) => ['react', 'react-dom', 'zustand', 'd3', 'src/ui'].includes(t),
  ui: (t) => t.startsWith('@tensorflow') || ['src/engine', 'src/conformance'].includes(t),
};

describe('architecture', () => {
  for (const [layer, forbidden] of Object.entries(rules)) {
    it(`${layer} imports nothing it must not`, () => {
      const dir = path.join(SRC, layer);
      const bad: string[] = [];
      for (const f of files(dir)) {
        for (const spec of imports(f)) {
          const t = target(f, spec);
          // The UI may reach the worker only through its entry file (to construct it).
          if (layer === 'ui' && t === 'src/worker' && !/worker\/worker(\.ts)?$/.test(spec)) bad.push(`${path.relative(SRC, f)} -> ${spec}`);
          else if (forbidden(t)) bad.push(`${path.relative(SRC, f)} -> ${spec}`);
        }
      }
      expect(files(dir).length).toBeGreaterThan(0);
      expect(bad).toEqual([]);
    });
  }

  it('the engine uses no DOM globals', () => {
    const bad = files(path.join(SRC, 'engine')).filter((f) => /\b(document|window)\./.test(readFileSync(f, 'utf8')));
    expect(bad).toEqual([]);
  });

  it('product code and scripts import no test support', () => {
    const product = [...files(SRC), ...files(SCRIPTS)].filter((f) => !isTestSupportFile(f));
    const bad = product.flatMap((f) => imports(f).filter((spec) => isTestSupport(f, spec)).map((spec) => `${path.relative(SRC, f)} -> ${spec}`));
    expect(product.length).toBeGreaterThan(0);
    expect(bad).toEqual([]);
  });

  it('the rule catches a forbidden import', () => {
    expect(rules.ui(target(path.join(SRC, 'ui/x.ts'), '../engine/vit'))).toBe(true);
    expect(rules.ui(target(path.join(SRC, 'ui/x.ts'), '@tensorflow/tfjs'))).toBe(true);
    expect(rules.engine(target(path.join(SRC, 'engine/x.ts'), 'react'))).toBe(true);
    expect(rules.ui(target(path.join(SRC, 'ui/x.ts'), '../shared/protocol'))).toBe(false);
    expect(isTestSupport(path.join(SRC, 'engine/weights/x.ts'), '../../test-support/weights')).toBe(true);
    expect(isTestSupport(path.join(SRC, 'worker/x.ts'), './session.test-helpers')).toBe(true);
    expect(isTestSupport(path.join(SRC, 'engine/x.ts'), '../shared/host-tensor')).toBe(false);
  });
});
