import { describe, expect, it } from 'vitest';
import { runPresets } from '../../shared/config';
import { officialCommandLine } from './official-cli';

/** Flag -> value of a generated command. */
function flags(command: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of command.split(' \\\n  ').slice(1)) {
    const [flag, ...rest] = part.split(' ');
    out.set(flag, rest.join(' '));
  }
  return out;
}

describe('officialCommandLine', () => {
  it('maps the official preset onto the ViT-S/16 recipe flag by flag', () => {
    const { command, notes } = officialCommandLine(runPresets.official);
    expect(command.startsWith('python -m torch.distributed.launch --nproc_per_node=1 main_dino.py \\\n  --arch vit_small')).toBe(true);
    expect(Object.fromEntries(flags(command))).toEqual({
      '--arch': 'vit_small',
      '--patch_size': '16',
      '--out_dim': '65536',
      '--norm_last_layer': 'True',
      '--momentum_teacher': '0.996',
      '--use_bn_in_head': 'False',
      '--warmup_teacher_temp': '0.04',
      '--teacher_temp': '0.07',
      '--warmup_teacher_temp_epochs': '30',
      '--use_fp16': 'False',
      '--weight_decay': '0.04',
      '--weight_decay_end': '0.4',
      '--clip_grad': '3',
      '--batch_size_per_gpu': '64',
      '--epochs': '100',
      '--freeze_last_layer': '1',
      '--lr': '0.0005',
      '--warmup_epochs': '10',
      '--min_lr': '1e-6',
      '--optimizer': 'adamw',
      '--drop_path_rate': '0.1',
      '--global_crops_scale': '0.4 1',
      '--local_crops_number': '8',
      '--local_crops_scale': '0.05 0.4',
      '--seed': '0',
      '--data_path': '/path/to/imagenet/train',
      '--output_dir': './dino_output',
    });
    // Nothing augmentation- or head-specific needs a source change for the official recipe.
    expect(notes.some((n) => n.includes('DataAugmentationDINO'))).toBe(false);
    expect(notes.some((n) => n.includes('DINOHead'))).toBe(false);
    expect(notes.some((n) => n.includes('--arch'))).toBe(false);
  });

  it('notes everything the nano preset changes that has no flag', () => {
    const { command, notes } = officialCommandLine(runPresets.nano);
    const f = flags(command);
    expect(f.get('--arch')).toBe('vit_tiny'); // width 64 is closest to 192
    expect(f.get('--patch_size')).toBe('8');
    expect(f.get('--out_dim')).toBe('256');
    expect(f.get('--batch_size_per_gpu')).toBe('16');
    expect(f.get('--local_crops_number')).toBe('2');
    const text = notes.join('\n');
    expect(text).toContain('No official --arch matches this ViT (width 64, depth 4, 4 heads');
    expect(text).toContain('Global crop size 32 px: hard-coded in DataAugmentationDINO (main_dino.py); officially 224 px.');
    expect(text).toContain('Local crop size 16 px');
    expect(text).toContain('Blur σ (px) (0.1, 0.5)');
    expect(text).toContain("Hidden width 256: DINOHead's hidden_dim, no flag; officially 2048.");
    expect(text).toContain('Bottleneck width 64');
    expect(text).not.toContain('MLP layers');
  });

  it('expresses sharpening off with flags and centering off with a note', () => {
    const config = { ...runPresets.official, train: { ...runPresets.official.train, sharpening: false, centering: false } };
    const { command, notes } = officialCommandLine(config);
    const f = flags(command);
    expect(f.get('--teacher_temp')).toBe('0.1');
    expect(f.get('--warmup_teacher_temp')).toBe('0.1');
    expect(f.get('--warmup_teacher_temp_epochs')).toBe('0');
    expect(notes.join('\n')).toContain('Centering off: no flag; remove');
    expect(notes.join('\n')).toContain('Sharpening is off');
  });

  it('notes jitter, blur probabilities, mlp ratio and nlayers changes', () => {
    const o = runPresets.official;
    const config = {
      ...o,
      model: { ...o.model, mlpRatio: 2 },
      head: { ...o.head, nlayers: 2 },
      augment: { ...o.augment, brightness: 0.2, blurP: [0.5, 0.1, 0.5] as [number, number, number] },
    };
    const text = officialCommandLine(config).notes.join('\n');
    expect(text).toContain('mlp ratio 2');
    expect(text).toContain('MLP layers 2');
    expect(text).toContain('Colour jitter strengths (brightness, contrast, saturation, hue) (0.2, 0.4, 0.2, 0.1)');
    expect(text).toContain('Blur probability (0.5, 0.1, 0.5)');
  });

  it('splits the batch over GPUs and uses the given paths', () => {
    const { command } = officialCommandLine(runPresets.official, { gpus: 8, dataPath: '/data/in1k', outputDir: '/out' });
    const f = flags(command);
    expect(command).toContain('--nproc_per_node=8');
    expect(f.get('--batch_size_per_gpu')).toBe('8');
    expect(f.get('--data_path')).toBe('/data/in1k');
    expect(f.get('--output_dir')).toBe('/out');
  });
});
