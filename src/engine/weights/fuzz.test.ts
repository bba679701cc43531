import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/rng';
import { WeightsError } from './errors';
import { loadWeights, type LoadedWeights } from './layouts';
import { pthStateDicts, readPth } from './pth';
import { golden } from '../../test-support/weights';
import { openZip, writeZip } from './zip';

const MUTATIONS_PER_FILE = 150;

/** One random corruption: byte flips (anywhere, or in the parsed head/tail of the file), a cut, or a garbage run. */
function mutate(src: Uint8Array, rng: Rng): { bytes: Uint8Array; what: string } {
  const pick = (n: number) => rng.nextU32() % Math.max(1, n);
  const bytes = src.slice();
  const kind = pick(5);
  if (kind === 0) {
    const at = pick(bytes.length);
    return { bytes: bytes.subarray(0, at), what: `cut at ${at}` };
  }
  const region =
    kind === 1 ? [0, bytes.length] // anywhere
    : kind === 2 ? [0, Math.min(bytes.length, 4096)] // safetensors header / data.pkl
    : [Math.max(0, bytes.length - 8192), bytes.length]; // zip central directory
  const count = kind === 4 ? 1 + pick(64) : 1 + pick(4);
  const start = region[0] + pick(region[1] - region[0]);
  const changed: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = kind === 4 ? Math.min(bytes.length - 1, start + i) : region[0] + pick(region[1] - region[0]);
    bytes[at] = kind === 4 ? pick(256) : bytes[at] ^ (1 << pick(8));
    changed.push(at);
  }
  return { bytes, what: `kind ${kind} at ${changed.slice(0, 4).join(',')}` };
}

/** Forces every (lazily decoded) tensor of a result, so corruption in storages is reached too. */
function touchAll(w: LoadedWeights): number {
  let n = 0;
  for (const net of w.networks ? Object.values(w.networks) : [w]) {
    for (const t of [...net.backbone.values(), ...(net.head?.values() ?? [])]) n += t.data.length;
  }
  return n + (w.center?.data.length ?? 0);
}

describe('fuzz: corrupted golden files parse or throw WeightsError, never hang or crash', () => {
  for (const name of ['backbone.safetensors', 'backbone_hf.safetensors', 'backbone.pth', 'checkpoint.pth']) {
    it(name, () => {
      const original = golden(name);
      const rng = new Rng(1234 + name.length);
      const outcomes = { parsed: 0, refused: 0 };
      const started = performance.now();
      for (let i = 0; i < MUTATIONS_PER_FILE; i++) {
        const { bytes, what } = mutate(original, rng);
        try {
          touchAll(loadWeights(name, bytes, { numHeads: 3 }));
          if (name.endsWith('.pth')) for (const m of pthStateDicts(readPth(bytes)).values()) for (const t of m.values()) void t.data.length;
          outcomes.parsed++;
        } catch (e) {
          if (!(e instanceof WeightsError)) throw new Error(`mutation ${i} (${what}) threw ${String(e)}`);
          expect(e.message.startsWith(`${name}: `) || e.message.startsWith('PyTorch file')).toBe(true);
          outcomes.refused++;
        }
      }
      expect(outcomes.parsed + outcomes.refused).toBe(MUTATIONS_PER_FILE);
      expect(outcomes.refused).toBeGreaterThan(0);
      expect(performance.now() - started).toBeLessThan(60_000);
    });
  }
});

describe('fuzz: corrupted pickles (repacked with valid CRCs, so the pickle VM itself is reached)', () => {
  for (const name of ['backbone.pth', 'checkpoint.pth']) {
    it(name, () => {
      const zip = openZip(golden(name));
      const pklName = zip.names.find((n) => n.endsWith('/data.pkl'))!;
      const rng = new Rng(77 + name.length);
      let refused = 0;
      for (let i = 0; i < MUTATIONS_PER_FILE; i++) {
        const { bytes: pkl, what } = mutate(zip.read(pklName), rng);
        const file = writeZip(zip.names.map((n) => ({ name: n, data: n === pklName ? pkl : zip.read(n) })));
        try {
          touchAll(loadWeights(name, file, { numHeads: 3 }));
        } catch (e) {
          if (!(e instanceof WeightsError)) throw new Error(`mutation ${i} (${what}) threw ${String(e)}`);
          refused++;
        }
      }
      expect(refused).toBeGreaterThan(MUTATIONS_PER_FILE / 2);
    });
  }
});
