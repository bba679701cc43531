/**
 * What one fashion-bench run is: its command line (Args), the benchmark definition
 * (fashion-bench.json) with the official results' types, and the RunConfig the definition implies.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultTrain, type RunConfig } from '../src/shared/config';
import { fromOfficial } from '../src/shared/config-fields';

/** The repository root (bench-results/ and the default --bench-dir are found from it). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------
// Arguments

interface Args {
  seed: number;
  epochs: number | null;
  stopAfter: number | null;
  backend: 'wasm' | 'cpu';
  out: string | null;
  benchDir: string;
  dataDir: string | null;
  resize: 'bicubic' | 'bilinear';
}

function usage(): string {
  return 'usage: npm run bench:fashion -- [--seed N] [--epochs E] [--stop-after S] [--backend wasm|cpu] [--resize bicubic|bilinear] [--out bench-results/x.json] [--bench-dir DIR] [--data-dir DIR]';
}

export function parseArgs(argv: string[]): Args {
  const a: Args = {
    seed: 0,
    epochs: null,
    stopAfter: null,
    backend: 'wasm',
    out: null,
    benchDir: process.env.FASHION_BENCH_DIR ?? path.resolve(REPO, '../shared/bench'),
    dataDir: null,
    resize: 'bicubic',
  };
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} needs an integer >= ${min}, got ${v}\n${usage()}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${usage()}`);
      return v;
    };
    if (flag === '--seed') a.seed = int(flag, value(), 0);
    else if (flag === '--epochs') a.epochs = int(flag, value(), 1);
    else if (flag === '--stop-after') a.stopAfter = int(flag, value(), 0);
    else if (flag === '--backend') {
      const b = value();
      if (b !== 'wasm' && b !== 'cpu') throw new Error(`--backend must be wasm or cpu, got ${b}`);
      a.backend = b;
    } else if (flag === '--resize') {
      const r = value();
      if (r !== 'bicubic' && r !== 'bilinear') throw new Error(`--resize must be bicubic or bilinear, got ${r}`);
      a.resize = r;
    } else if (flag === '--out') a.out = value();
    else if (flag === '--bench-dir') a.benchDir = path.resolve(value());
    else if (flag === '--data-dir') a.dataDir = path.resolve(value());
    else if (flag === '--help' || flag === '-h') {
      console.log(usage());
      process.exit(0);
    } else throw new Error(`unknown argument ${flag}\n${usage()}`);
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Benchmark definition and official results

export interface BenchDef {
  data: {
    dir: string;
    train_images: string;
    train_labels: string;
    test_images: string;
    test_labels: string;
    train_start: number;
    n_train: number;
    test_start: number;
    n_test: number;
  };
  aug: {
    interpolation?: string;
    global_size: number;
    local_size: number;
    global_crops_scale: [number, number];
    local_crops_scale: [number, number];
    local_crops_number: number;
    random_resized_crop_ratio: [number, number];
    flip_p: number;
    color_jitter: { brightness: number; contrast: number; saturation: number; hue: number };
    color_jitter_p: number;
    grayscale_p: number;
    blur_radius: [number, number];
    blur_p_global1: number;
    blur_p_global2: number;
    blur_p_local: number;
    solarize_p_global2: number;
    solarize_threshold: number;
    mean: [number, number, number];
    std: [number, number, number];
  };
  model: {
    img_size: number[];
    patch_size: number;
    embed_dim: number;
    depth: number;
    num_heads: number;
    mlp_ratio: number;
    qkv_bias: boolean;
    ln_eps: number;
    drop_path_rate_student: number;
  };
  head: { out_dim: number; hidden_dim: number; bottleneck_dim: number; nlayers: number; norm_last_layer: boolean; use_bn: boolean };
  train: {
    batch_size_per_gpu: number;
    world_size: number;
    epochs: number;
    lr: number;
    min_lr: number;
    warmup_epochs: number;
    weight_decay: number;
    weight_decay_end: number;
    momentum_teacher: number;
    warmup_teacher_temp: number;
    teacher_temp: number;
    warmup_teacher_temp_epochs: number;
    student_temp: number;
    center_momentum: number;
    clip_grad: number;
    freeze_last_layer: number;
  };
  knn: { k: number; T: number; num_classes: number };
  eval: { report_epochs: number[]; report_epochs_40?: number[] };
}

export interface Stat {
  mean: number;
  min: number;
  max: number;
  sd: number;
}
interface OfficialEpoch {
  epoch: number;
  loss?: Stat;
  teacher_entropy?: Stat;
  kl?: Stat;
  knn_top1?: Stat;
}
export interface Official {
  pixel_knn_top1: number;
  seeds: number[];
  epochs: OfficialEpoch[];
}

export function readJson<T>(file: string, what: string): T {
  if (!existsSync(file)) throw new Error(`${what} not found at ${file} (pass --bench-dir or set FASHION_BENCH_DIR)`);
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/**
 * The RunConfig that fashion-bench.json defines; `epochs` overrides train.epochs. Each field is read
 * under its official name (src/shared/config-fields.ts); only the keys the definition spells
 * otherwise are named here.
 */
export function benchConfig(def: BenchDef, seed: number, epochs: number, resize: Args['resize']): RunConfig {
  const { aug, model, head, train } = def;
  if (train.world_size !== 1) throw new Error(`world_size ${train.world_size} is not supported (one process)`);
  if (head.use_bn) throw new Error('head.use_bn is not supported');
  if (aug.solarize_threshold !== 128) throw new Error(`solarize threshold ${aug.solarize_threshold}: the engine uses 128`);
  const record = (o: object) => o as Record<string, unknown>;
  return {
    model: fromOfficial('model', record(model), { names: { imgSize: null }, defaults: { imgSize: model.img_size[0] } }),
    head: fromOfficial('head', record(head)),
    augment: fromOfficial('augment', { ...aug, ...aug.color_jitter }, {
      // PIL's GaussianBlur(radius) takes the standard deviation: the benchmark's blur_radius is blurSigma.
      names: { ratio: 'random_resized_crop_ratio', blurSigma: 'blur_radius', solarizeP: 'solarize_p_global2', blurP: null, bicubic: null },
      defaults: {
        blurP: [aug.blur_p_global1, aug.blur_p_global2, aug.blur_p_local],
        // The benchmark says "bicubic (PIL)"; --resize bilinear reproduces runs made before dinolab had it.
        bicubic: resize === 'bicubic' && /bicubic/i.test(String(aug.interpolation ?? 'bicubic')),
      },
    }),
    // lr is the base rate: DinoRun's buildSchedules applies the linear scaling lr * batch / 256.
    train: fromOfficial('train', { ...train, epochs, drop_path_rate: model.drop_path_rate_student }, {
      defaults: { centering: true, sharpening: true, metricsEvery: defaultTrain.metricsEvery, checkpointEvery: defaultTrain.checkpointEvery },
    }),
    seed,
  };
}
