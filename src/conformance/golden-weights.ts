/**
 * The weights checks: every file layout of the case (safetensors, .pth backbone, Hugging Face, the
 * official training checkpoint) loads to the same tensors, bit for bit, with the right architecture.
 */
import type { TensorMap } from '../shared/host-tensor';
import { loadWeights, type LoadedWeights } from '../engine/weights/layouts';
import { readSafetensors } from '../engine/weights/safetensors';
import { exactCheck, type CheckResult } from './compare';
import { get, type GoldenCase } from './golden-data';

/** The first difference between `a` and the same names (after `prefixB`) in `b`, or null. */
function sameTensors(a: TensorMap, b: TensorMap, prefixB = ''): string | null {
  for (const [n, t] of a) {
    const u = b.get(prefixB + n);
    if (!u) return `missing ${prefixB + n}`;
    if (u.shape.join() !== t.shape.join()) return `${n}: shape ${u.shape} != ${t.shape}`;
    for (let i = 0; i < t.data.length; i++) if (t.data[i] !== u.data[i]) return `${n}[${i}] differs`;
  }
  return null;
}

/** `fromSt`: the case's backbone.safetensors, loaded (the reference the other layouts must equal). */
export async function weightChecks(c: GoldenCase, fromSt: LoadedWeights): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const hints = { numHeads: c.vit.numHeads };
  const g = 'weights';
  const arch = fromSt.arch;
  const archOk = (['patchSize', 'imgSize', 'embedDim', 'depth', 'mlpRatio', 'qkvBias'] as const).every((k) => arch[k] === c.vit[k]);
  out.push(exactCheck(g, 'inferred architecture', archOk, `p${arch.patchSize} D${arch.embedDim} depth${arch.depth} img${arch.imgSize}`));
  for (const file of ['backbone.pth', 'backbone_hf.safetensors']) {
    const w = loadWeights(file, await c.readFile(file), hints);
    const diff = sameTensors(fromSt.backbone, w.backbone);
    out.push(exactCheck(g, `${file} == backbone.safetensors`, diff === null && w.backbone.size === fromSt.backbone.size, diff ?? `${w.layout}`));
  }
  const train = readSafetensors(await c.readFile('train.safetensors')).tensors;
  for (const network of ['teacher', 'student'] as const) {
    const ck = loadWeights('checkpoint.pth', await c.readFile('checkpoint.pth'), { ...hints, network });
    const b = sameTensors(ck.backbone, train, `final_${network}.backbone.`);
    const h = ck.head ? sameTensors(ck.head, train, `final_${network}.head.`) : 'no head';
    out.push(exactCheck(g, `checkpoint.pth ${network} == final_${network}`, b === null && h === null, b ?? h ?? undefined));
  }
  const ck = loadWeights('checkpoint.pth', await c.readFile('checkpoint.pth'), hints);
  const center = get(train, 'step3_center');
  out.push(
    exactCheck(g, 'checkpoint.pth center == step3_center', !!ck.center && ck.center.data.every((v, i) => v === center.data[i])),
  );
  return out;
}
