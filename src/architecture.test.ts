/**
 * The layering of `src/` (see STYLE.md): shared is pure; the engine may use tfjs but no UI or DOM;
 * the UI never imports tfjs, the engine or the worker's internals; the worker never imports the UI.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.dirname(fileURLToPath(import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return files(p);
    return /\.(ts|tsx)$/.test(f) && !/\.test\.tsx?$/.test(f) ? [p] : [];
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

  it('the rule catches a forbidden import', () => {
    expect(rules.ui(target(path.join(SRC, 'ui/x.ts'), '../engine/vit'))).toBe(true);
    expect(rules.ui(target(path.join(SRC, 'ui/x.ts'), '@tensorflow/tfjs'))).toBe(true);
    expect(rules.engine(target(path.join(SRC, 'engine/x.ts'), 'react'))).toBe(true);
    expect(rules.ui(target(path.join(SRC, 'ui/x.ts'), '../shared/protocol'))).toBe(false);
  });
});
