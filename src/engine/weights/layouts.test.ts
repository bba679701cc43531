import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TensorMap } from '../../shared/host-tensor';
import { WeightsError } from './errors';
import { toDinolabSafetensors, toOfficialCheckpoint } from './export';
import { loadWeights } from './layouts';
import { writePth } from './pth-writer';
import { readSafetensors, writeSafetensors } from './safetensors';
import { PickleBytes, f32, firstDifference, golden, goldenDir, pthZip, sameTensor } from '../../test-support/weights';

const manifest = JSON.parse(readFileSync(path.join(goldenDir(), 'manifest.json'), 'utf8'));
const heads = { numHeads: manifest.config.num_heads as number };
const train = readSafetensors(golden('train.safetensors')).tensors;

function withPrefix(tensors: TensorMap, prefix: string): TensorMap {
  const out: TensorMap = new Map();
  for (const [k, t] of tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), t);
  return out;
}

function prefixed(prefix: string, tensors: TensorMap): TensorMap {
  return new Map([...tensors].map(([k, t]) => [prefix + k, t]));
}

describe('loadWeights on the golden files', () => {
  const fromSt = loadWeights('backbone.safetensors', golden('backbone.safetensors'), heads);

  it('infers the manifest architecture', () => {
    const c = manifest.config;
    expect(fromSt.layout).toBe('official-backbone');
    expect(fromSt.arch).toEqual({
      patchSize: 8, imgSize: 32, embedDim: 48, depth: 2, numHeads: 3, mlpRatio: c.mlp_ratio, qkvBias: true, lnEps: 1e-6,
    });
    expect(fromSt.head).toBeNull();
    expect(fromSt.unexpected).toEqual([]);
    expect(fromSt.missing).toEqual([]);
  });

  it('.pth, safetensors and Hugging Face give byte-identical backbones', () => {
    const fromPth = loadWeights('backbone.pth', golden('backbone.pth'), heads);
    const fromHf = loadWeights('backbone_hf.safetensors', golden('backbone_hf.safetensors'), heads);
    expect(fromPth.layout).toBe('official-backbone');
    expect(fromHf.layout).toBe('huggingface');
    for (const w of [fromPth, fromHf]) {
      expect([...w.backbone.keys()]).toEqual([...fromSt.backbone.keys()]); // official order
      expect(firstDifference(fromSt.backbone, w.backbone)).toBeNull();
      expect(w.arch).toEqual(fromSt.arch);
    }
  });

  it('checkpoint.pth: teacher by default, equal to final_teacher; student equal to final_student', () => {
    const ck = loadWeights('checkpoint.pth', golden('checkpoint.pth'), heads);
    expect(ck.layout).toBe('official-checkpoint');
    expect(ck.network).toBe('teacher');
    expect(ck.epoch).toBe(2);
    expect(ck.missing).toEqual([]);
    expect(ck.unexpected).toEqual([]);
    expect(ck.headArch).toEqual({ outDim: 64, hiddenDim: 64, bottleneckDim: 32, nlayers: 3, normLastLayer: true });
    expect(ck.arch).toEqual(fromSt.arch);
    for (const net of ['teacher', 'student'] as const) {
      const n = ck.networks![net];
      expect(n.backbone.size).toBe(30);
      expect(n.head!.size).toBe(8);
      expect(firstDifference(withPrefix(train, `final_${net}.backbone.`), n.backbone)).toBeNull();
      expect(firstDifference(withPrefix(train, `final_${net}.head.`), n.head!)).toBeNull();
    }
    expect(ck.backbone).toBe(ck.networks!.teacher.backbone);
    expect(sameTensor(ck.center!, train.get('step3_center')!)).toBe(true);
    // teacher and student really differ after three steps
    expect(firstDifference(ck.networks!.teacher.backbone, ck.networks!.student.backbone)).not.toBeNull();
  });

  it('checkpoint.pth with network: student', () => {
    const ck = loadWeights('checkpoint.pth', golden('checkpoint.pth'), { ...heads, network: 'student' });
    expect(ck.network).toBe('student');
    expect(firstDifference(withPrefix(train, 'final_student.backbone.'), ck.backbone)).toBeNull();
    expect(firstDifference(withPrefix(train, 'final_student.head.'), ck.head!)).toBeNull();
  });
});

describe('loadWeights on other layouts', () => {
  const backbone = readSafetensors(golden('backbone.safetensors')).tensors;
  const head = readSafetensors(golden('head.safetensors')).tensors;

  it('ignores a classifier head on an official backbone, with a note', () => {
    const t = new Map(backbone).set('head.weight', f32([10, 48])).set('head.bias', f32([10]));
    const w = loadWeights('vit_classifier.pth', writePth(t), heads);
    expect(w.layout).toBe('official-backbone');
    expect(w.unexpected).toEqual(['head.weight', 'head.bias']);
    expect(w.head).toBeNull();
  });

  it('reads a MultiCropWrapper state dict (backbone.*, head.*), also DDP-prefixed', () => {
    const sd = new Map([...prefixed('backbone.', backbone), ...prefixed('head.', head)]);
    for (const t of [sd, prefixed('module.', sd)]) {
      const w = loadWeights('teacher.safetensors', writeSafetensors(t), heads);
      expect(w.layout).toBe('official-checkpoint');
      expect(w.network).toBeNull();
      expect(firstDifference(backbone, w.backbone)).toBeNull();
      expect(firstDifference(head, w.head!)).toBeNull();
      expect(w.headArch!.outDim).toBe(64);
    }
  });

  it('keeps the backbone and reports the head when the head is unusable (batch norm)', () => {
    const bnHead = new Map(head).set('mlp.1.running_mean', f32([64]));
    const w = loadWeights('bn.pth', writePth(new Map([...prefixed('backbone.', backbone), ...prefixed('head.', bnHead)])), heads);
    expect(w.head).toBeNull();
    expect(w.headArch).toBeNull();
    expect(w.unexpected).toEqual(['head.* (not usable: the head uses batch norm (use_bn=True), which dinolab does not support)']);
    expect(firstDifference(backbone, w.backbone)).toBeNull();
  });

  it('finds the model inside other checkpoint dicts ({model, optimizer, epoch})', () => {
    const file = writePth({ model: backbone, optimizer: new Map([['exp_avg.0', f32([3])]]), epoch: 5 });
    const w = loadWeights('deit_style.pth', file, heads);
    expect(w.layout).toBe('official-backbone');
    expect(w.unexpected).toEqual(['optimizer', 'epoch']);
    expect(firstDifference(backbone, w.backbone)).toBeNull();
    expect(() => loadWeights('two.pth', writePth({ a: backbone, b: backbone }), heads)).toThrow(/several state dicts \(a, b\)/);
  });

  it('reads head weight norm saved through torch.nn.utils.parametrize', () => {
    const renamed = new Map([...head].map(([k, t]) => [
      k.replace('weight_g', 'parametrizations.weight.original0').replace('weight_v', 'parametrizations.weight.original1'), t,
    ]));
    const w = loadWeights('x.pth', writePth(new Map([...prefixed('backbone.', backbone), ...prefixed('head.', renamed)])), heads);
    expect(firstDifference(head, w.head!)).toBeNull();
  });

  it('round-trips the dinolab safetensors format without hints (heads from the metadata)', () => {
    const ck = loadWeights('checkpoint.pth', golden('checkpoint.pth'), heads);
    const file = toDinolabSafetensors({ backbone: ck.backbone, head: ck.head, center: ck.center, arch: ck.arch, headArch: ck.headArch, epoch: 2 });
    const w = loadWeights('run.safetensors', file);
    expect(w.layout).toBe('dinolab');
    expect(w.arch).toEqual(ck.arch);
    expect(w.headArch).toEqual(ck.headArch);
    expect(w.epoch).toBe(2);
    expect(firstDifference(ck.backbone, w.backbone)).toBeNull();
    expect(firstDifference(ck.head!, w.head!)).toBeNull();
    expect(sameTensor(ck.center!, w.center!)).toBe(true);
    const meta = readSafetensors(file).metadata;
    expect(JSON.parse(meta['dinolab.config']).model.numHeads).toBe(3);
  });

  it('reads a dinolab backbone-only export (plain keys + dinolab.config)', () => {
    const file = writeSafetensors(backbone, { 'dinolab.config': JSON.stringify({ model: { numHeads: 3, lnEps: 1e-5 } }) });
    const w = loadWeights('teacher.safetensors', file);
    expect(w.layout).toBe('dinolab');
    expect(w.arch.numHeads).toBe(3);
    expect(w.arch.lnEps).toBe(1e-5);
  });

  it('round-trips toOfficialCheckpoint through loadWeights', () => {
    const ck = loadWeights('checkpoint.pth', golden('checkpoint.pth'), heads);
    const file = toOfficialCheckpoint({ student: ck.networks!.student, teacher: ck.networks!.teacher, epoch: 2, center: ck.center });
    const back = loadWeights('out.pth', file, heads);
    expect(back.layout).toBe('official-checkpoint');
    expect(back.epoch).toBe(2);
    for (const net of ['teacher', 'student'] as const) {
      expect(firstDifference(ck.networks![net].backbone, back.networks![net].backbone)).toBeNull();
      expect(firstDifference(ck.networks![net].head!, back.networks![net].head!)).toBeNull();
    }
    expect(sameTensor(ck.center!, back.center!)).toBe(true);
  });

  it('skips unknown objects of a real main_dino checkpoint (optimizer, args) and reports them', () => {
    const p = new PickleBytes().op(0x80, 2, 0x7d, 0x28);
    p.str('teacher').global('collections', 'OrderedDict').op(0x29, 0x52, 0x28);
    let key = 0;
    const storages: Record<string, Uint8Array> = {};
    for (const [name, t] of backbone) {
      p.str(`backbone.${name}`).tensor('FloatStorage', String(key), t.data.length, 0, t.shape, t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1)));
      storages[key++] = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    }
    p.op(0x75);
    p.str('optimizer').op(0x7d, 0x28).str('param_groups').op(0x5d, 0x75); // optimizer.state_dict(), as main_dino.py saves it
    p.str('args').global('argparse', 'Namespace').op(0x29, 0x81, 0x7d).str('arch').str('vit_tiny').op(0x73, 0x62);
    p.str('fp16_scaler').op(0x4e);
    const w = loadWeights('checkpoint.pth', pthZip(p.op(0x75, 0x2e).build(), storages), heads);
    expect(w.layout).toBe('official-checkpoint');
    expect(w.unexpected).toEqual(['optimizer', 'args', 'fp16_scaler']);
    expect(w.missing).toEqual(['teacher.head', 'dino_loss.center']);
    expect(firstDifference(backbone, w.backbone)).toBeNull();
    expect(() => loadWeights('checkpoint.pth', pthZip(p.build(), storages), { ...heads, network: 'student' })).toThrow(
      /no student network \(it has: teacher\)/,
    );
  });
});

describe('loadWeights errors name the file and the problem', () => {
  const backbone = readSafetensors(golden('backbone.safetensors')).tensors;

  it('a PNG is not a weights file', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    expect(() => loadWeights('cat.png', png)).toThrow(WeightsError);
    expect(() => loadWeights('cat.png', png)).toThrow(/^cat\.png: not a safetensors or PyTorch file \(it starts with bytes 89 50 4e 47/);
  });

  it('mis-shaped weights name the tensor and both shapes', () => {
    const t = new Map(backbone).set('blocks.1.attn.proj.weight', f32([48, 47]));
    expect(() => loadWeights('bad.safetensors', writeSafetensors(t), heads)).toThrow(
      /bad\.safetensors: backbone does not match the architecture: blocks\.1\.attn\.proj\.weight has shape \[48, 47\], expected \[48, 48\]/,
    );
  });

  it('a missing block tensor is named', () => {
    const t = new Map(backbone);
    t.delete('blocks.0.norm1.bias');
    expect(() => loadWeights('bad.pth', writePth(t), heads)).toThrow(/missing: blocks\.0\.norm1\.bias/);
  });

  it('a head file alone is recognised as such', () => {
    expect(() => loadWeights('head.safetensors', golden('head.safetensors'), heads)).toThrow(/a DINO head without a backbone/);
  });

  it('a pickle calling os.system is refused', () => {
    const p = new PickleBytes().op(0x80, 2).global('os', 'system').op(0x28).str('echo hi').op(0x74, 0x52, 0x2e);
    expect(() => loadWeights('evil.pth', pthZip(p.build()))).toThrow(
      'evil.pth: PyTorch file: refusing to load: the file calls os.system (a pickle can run code)',
    );
  });

  it('NaN or infinite weights are refused with the tensor names, and loaded (and listed) when allowed', () => {
    const t = new Map(backbone);
    const bad = f32([48]);
    bad.data[3] = NaN;
    bad.data[7] = Infinity;
    t.set('blocks.1.norm2.bias', bad);
    const file = writeSafetensors(t);
    expect(() => loadWeights('nan.safetensors', file, heads)).toThrow(
      /^nan\.safetensors: 1 tensors hold NaN or infinite values: backbone\.blocks\.1\.norm2\.bias \(2 of 48\)$/,
    );
    const w = loadWeights('nan.safetensors', file, { ...heads, allowNonFinite: true });
    expect(w.nonFinite).toEqual(['backbone.blocks.1.norm2.bias (2 of 48)']);
    expect(loadWeights('ok.safetensors', writeSafetensors(backbone), heads).nonFinite).toEqual([]);
  });

  it('reports and messages stay short however many odd keys a file has', () => {
    const t = new Map(backbone);
    for (let i = 0; i < 5000; i++) t.set(`head.extra_${'x'.repeat(900)}_${i}`, f32([1]));
    const w = loadWeights('many.safetensors', writeSafetensors(t), heads);
    expect(w.unexpected).toHaveLength(7);
    expect(w.unexpected[6]).toBe('... and 4994 more');
    for (const k of w.unexpected) expect(k.length).toBeLessThanOrEqual(200);
    const missing = new Map([...backbone].filter(([k]) => !k.startsWith('blocks.1.')));
    for (let i = 0; i < 3000; i++) missing.set(`blocks.0.extra_${i}`, f32([1]));
    let message = '';
    try {
      loadWeights('odd.safetensors', writeSafetensors(missing), heads);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/unexpected: blocks\.0\.extra_0, .* \.\.\. and 2994 more/);
    expect(message.length).toBeLessThanOrEqual(400);
  });

  it('truncated and corrupt files', () => {
    const st = golden('backbone.safetensors');
    expect(() => loadWeights('cut.safetensors', st.subarray(0, st.length - 100), heads)).toThrow(/cut\.safetensors: safetensors: .*truncated/);
    const pth = golden('backbone.pth');
    expect(() => loadWeights('cut.pth', pth.subarray(0, pth.length - 100), heads)).toThrow(/cut\.pth: PyTorch file: .*end-of-central-directory/);
    const flipped = pth.slice();
    flipped[70] ^= 0xff; // inside data.pkl
    expect(() => loadWeights('flipped.pth', flipped, heads)).toThrow(WeightsError);
  });
});
