import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runPresets } from './config';
import { CONFIG_FIELDS, fromOfficial, officialName } from './config-fields';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Every flag of main_dino.py's get_args_parser (facebookresearch/dino, main branch). */
const MAIN_DINO_FLAGS = new Set([
  'arch', 'patch_size', 'out_dim', 'norm_last_layer', 'momentum_teacher', 'use_bn_in_head', 'warmup_teacher_temp', 'teacher_temp',
  'warmup_teacher_temp_epochs', 'use_fp16', 'weight_decay', 'weight_decay_end', 'clip_grad', 'batch_size_per_gpu', 'epochs',
  'freeze_last_layer', 'lr', 'warmup_epochs', 'min_lr', 'optimizer', 'drop_path_rate', 'global_crops_scale', 'local_crops_number',
  'local_crops_scale', 'data_path', 'output_dir', 'saveckp_freq', 'seed', 'num_workers', 'dist_url', 'local_rank',
]);

function leaves(o: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? leaves(v as Record<string, unknown>, p) : [p];
  });
}

describe('CONFIG_FIELDS', () => {
  it('describes every leaf of RunConfig exactly once', () => {
    expect(CONFIG_FIELDS.map((f) => f.path).sort()).toEqual(leaves(runPresets.official as unknown as Record<string, unknown>).sort());
  });

  it('gives every number a rule and names only real main_dino.py flags, each once', () => {
    for (const f of CONFIG_FIELDS) expect(f.kind === 'bool' || f.rule !== undefined, f.path).toBe(true);
    const flags = CONFIG_FIELDS.flatMap((f) => (f.official && 'flag' in f.official ? [f.official.flag] : []));
    for (const flag of flags) expect(MAIN_DINO_FLAGS.has(flag), flag).toBe(true);
    expect(new Set(flags).size).toBe(flags.length);
    const names = CONFIG_FIELDS.map(officialName).filter(Boolean);
    expect(new Set(names).size).toBe(names.length);
  });

  it('reads a reference case by the official names', () => {
    const manifest = JSON.parse(readFileSync(path.join(here, '../../test-data/golden/vit-p8-tiny/manifest.json'), 'utf8'));
    const c = manifest.config;
    expect(fromOfficial('model', c, { names: { imgSize: 'global_size' } })).toEqual({
      patchSize: c.patch_size, imgSize: c.global_size, embedDim: c.embed_dim, depth: c.depth,
      numHeads: c.num_heads, mlpRatio: c.mlp_ratio, qkvBias: c.qkv_bias, lnEps: c.ln_eps,
    });
    expect(fromOfficial('head', c, { defaults: { normLastLayer: true } })).toEqual({
      outDim: c.out_dim, hiddenDim: c.hidden_dim, bottleneckDim: c.bottleneck_dim, nlayers: c.nlayers, normLastLayer: true,
    });
    expect(() => fromOfficial('head', c)).toThrow('no value for norm_last_layer (head.normLastLayer)');
  });
});
