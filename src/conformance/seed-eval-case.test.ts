/**
 * The seed-eval case's maths against sklearn's own figures (test-data/golden-eval): trustworthiness
 * of sklearn's t-SNE map and of a PCA-2 projection, and the eval transform of the photos. The whole
 * case (with dinolab's own t-SNE) runs in `npm run conformance`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evalTransform } from '../engine/eval/eval-transform';
import { pca } from '../engine/eval/pca';
import { trustworthiness } from '../engine/eval/trustworthiness';
import { readSafetensors } from '../engine/weights/safetensors';
import { findCases } from './golden-dirs';
import { decodePhoto, SEED_EVAL_FORMAT, transformOf } from './seed-eval-case';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cases = findCases().filter((c) => c.format === SEED_EVAL_FORMAT);

describe('seed-eval cases', () => {
  it('at least one case is found (test-data/golden-eval)', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  for (const c of cases) {
    const manifest = JSON.parse(readFileSync(path.join(c.dir, 'manifest.json'), 'utf8'));
    const tensors = readSafetensors(new Uint8Array(readFileSync(path.join(c.dir, 'eval.safetensors')))).tensors;
    const features = tensors.get('features')!;
    const [, dim] = features.shape;

    it(`${c.name}: trustworthiness of sklearn's own map equals sklearn's figure`, () => {
      const t = trustworthiness(features.data, dim, tensors.get('tsne')!.data, 2, 5);
      expect(t).toBeCloseTo(manifest.tsne.trustworthiness_k5, 6);
    });

    it(`${c.name}: trustworthiness of PCA to 2-D equals sklearn's PCA-2 figure`, () => {
      const t = trustworthiness(features.data, dim, pca(features.data, dim, 2).scores, 2, 5);
      expect(t).toBeCloseTo(manifest.tsne.trustworthiness_k5_pca2, 4);
    });

    it(`${c.name}: eval transform of each photo is bit-identical to torchvision's`, () => {
      const t = transformOf(manifest);
      manifest.eval_transform.photos.forEach((photo: string, j: number) => {
        const img = decodePhoto(new Uint8Array(readFileSync(path.join(REPO, 'public/samples', photo))), photo);
        const ours = evalTransform(img.pixels, img.width, img.height, t);
        const ref = tensors.get(manifest.eval_transform.tensors[j])!.data;
        let worst = 0;
        ours.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ref[i]))));
        expect(worst, photo).toBeLessThanOrEqual(1e-6);
      });
    });
  }
});
