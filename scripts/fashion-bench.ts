/**
 * fashion-bench: does dinolab learn like the official DINO?
 *
 *   npm run bench:fashion -- [--seed N] [--epochs E] [--stop-after S] [--backend wasm|cpu]
 *                            [--resize bicubic|bilinear] [--out bench-results/x.json]
 *                            [--bench-dir DIR] [--data-dir DIR]
 *
 * Trains DINO on the benchmark's 1000 Fashion-MNIST images exactly as `fashion-bench.json` defines it
 * (see ../shared/bench/README.md) and compares every epoch with the official PyTorch DINO code
 * (`fashion-bench-official.json`, 3 seeds): mean loss, mean teacher entropy, mean KL per epoch and
 * the teacher's weighted k-NN top-1 at the report epochs (epoch 0 = before training). Prints a table
 * with the official [min, max] envelope and mean beside ours, and writes everything (setup included)
 * to a JSON file, rewritten after every epoch so an interrupted run keeps what it measured.
 *
 * --epochs E      the schedule length (train.epochs; changing it changes every cosine schedule, so the
 *                 official envelope, measured with 20, no longer applies exactly).
 * --stop-after S  run only the first S epochs of the E-epoch schedule (comparable epoch by epoch with
 *                 the official run, just shorter). Default: all E.
 * --resize        crop resizing: bicubic (PIL, as the benchmark and the official code; default) or
 *                 bilinear (what dinolab used before it had PIL's bicubic, for the earlier results).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { activateBackend } from '../src/engine/backend';
import { DinoRun } from '../src/engine/dino-run';
import { ImageStore, imagesFromGrayscale } from '../src/engine/image-store';
import { pixelFeatures } from '../src/engine/eval/features';
import type { EvalTransform } from '../src/engine/eval/eval-transform';
import { knnOfRows, modelKnn, type KnnRule, type LabelledImages } from '../src/engine/knn';
import { runModel } from '../src/engine/model-source';
import { formatIssues, validateConfig, type RunConfig } from '../src/shared/config';
import type { MetricRow } from '../src/shared/protocol';
import { REPO, benchConfig, parseArgs, readJson, type BenchDef, type Official } from './fashion-bench-config';
import { TOLERANCE, cell, compare, hms, printTable, type Compared, type EpochResult, type Verdict } from './fashion-bench-report';
import { FASHION_CLASSES as CLASSES, readSplit } from './fashion-mnist.mjs';

// ---------------------------------------------------------------------------------------------
// Data: the benchmark's ranges of the Fashion-MNIST IDX files

interface Split {
  gray: Uint8Array;
  labels: Uint8Array;
  width: number;
  height: number;
}

/** Images [start, start + n) of one split, with their labels. */
function loadSplit(dir: string, imagesFile: string, labelsFile: string, start: number, n: number): Split {
  const { count, width, height, images, labels } = readSplit(dir, imagesFile, labelsFile);
  if (start + n > count) throw new Error(`${imagesFile}: wanted images [${start}, ${start + n}), only ${count} exist`);
  const size = width * height;
  return { gray: images.slice(start * size, (start + n) * size), labels: labels.slice(start, start + n), width, height };
}

function checkDataDir(dir: string, def: BenchDef): void {
  const d = def.data;
  const missing = [d.train_images, d.train_labels, d.test_images, d.test_labels].filter((f) => !existsSync(path.join(dir, f)));
  if (missing.length > 0) {
    throw new Error(
      `Fashion-MNIST is missing from ${dir} (${missing.join(', ')}).\n` +
        'Install the Debian package:  sudo apt-get install -y dataset-fashion-mnist\n' +
        'or pass --data-dir DIR with the four IDX .gz files.',
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

interface KnnEval {
  top1: number;
  top5: number;
  ms: number;
}

/**
 * The benchmark's k-NN input: each 28 x 28 image as it is (no resize: the eval transform with
 * resize = crop = the image side is the identity), /255, normalised.
 */
function knnTransform(config: RunConfig): EvalTransform {
  const S = config.augment.globalSize;
  return { resize: S, crop: S, mean: config.augment.mean, std: config.augment.std };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const def = readJson<BenchDef>(path.join(args.benchDir, 'fashion-bench.json'), 'benchmark definition fashion-bench.json');
  const official = readJson<Official>(path.join(args.benchDir, 'fashion-bench-official.json'), 'official results fashion-bench-official.json');
  const epochs = args.epochs ?? def.train.epochs;
  const stopAfter = Math.min(args.stopAfter ?? epochs, epochs);
  const scheduleMatches = epochs === def.train.epochs;
  const dataDir = args.dataDir ?? def.data.dir;
  const outFile = path.resolve(REPO, args.out ?? `bench-results/fashion-seed${args.seed}-${args.backend}.json`);

  const config = benchConfig(def, args.seed, epochs, args.resize);
  const problems = validateConfig(config);
  if (problems.length > 0) throw new Error(`invalid config: ${formatIssues(problems)}`);

  // ---- data -------------------------------------------------------------------------------
  checkDataDir(dataDir, def);
  const d = def.data;
  const train = loadSplit(dataDir, d.train_images, d.train_labels, d.train_start, d.n_train);
  const test = loadSplit(dataDir, d.test_images, d.test_labels, d.test_start, d.n_test);
  const trainLabels = Int32Array.from(train.labels);
  const testLabels = Int32Array.from(test.labels);

  // ---- backend ----------------------------------------------------------------------------
  await activateBackend(args.backend);
  // tfjs-backend-wasm runs single-threaded in Node (WASM_HAS_MULTITHREAD_SUPPORT is false there).
  const threads = 1;

  const trainStore = new ImageStore();
  const trainImages = imagesFromGrayscale(train.gray, train.labels, CLASSES, train.width, train.height, 'train-');
  trainStore.add(trainImages);
  const testImages = imagesFromGrayscale(test.gray, test.labels, CLASSES, test.width, test.height, 'test-');
  // k-NN: the training images with their labels are the memory bank, the t10k images the queries.
  const bank: LabelledImages = { images: trainImages, labels: trainLabels };
  const queries: LabelledImages = { images: testImages, labels: testLabels };
  const transform = knnTransform(config);
  const rule: KnnRule = { numClasses: def.knn.num_classes, k: def.knn.k, temperature: def.knn.T };

  const cpus = os.cpus();
  const setup = {
    date: new Date().toISOString(),
    command: `npm run bench:fashion -- ${process.argv.slice(2).join(' ')}`.trim(),
    backend: tf.getBackend(),
    threads,
    tfjs: tf.version.tfjs,
    node: process.version,
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAvgStart: os.loadavg(),
    note: 'shared machine: other jobs (tests, builds) ran at the same time, so timings are noisy',
  };

  console.log(`fashion-bench seed ${args.seed}: ${d.n_train} training images, ${d.n_test} k-NN queries from ${dataDir}`);
  console.log(
    `backend ${setup.backend} (${threads} thread), ${setup.cpuCount} x ${setup.cpuModel}, node ${setup.node}, tfjs ${setup.tfjs}, load avg ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  if (!scheduleMatches) {
    console.log(`NOTE: --epochs ${epochs} changes the schedules (official: ${def.train.epochs}); the envelope is only indicative.`);
  }

  const run = new DinoRun(config, trainStore.count);
  const spe = run.stepsPerEpoch;
  console.log(
    `ViT D${config.model.embedDim} depth ${config.model.depth} heads ${config.model.numHeads} patch ${config.model.patchSize}, ` +
      `K ${config.head.outDim}, batch ${config.train.batchSize}, ${spe} steps/epoch, schedule ${epochs} epochs, running ${stopAfter}; ` +
      `peak lr ${run.schedules.lr.reduce((a, b) => Math.max(a, b), 0).toExponential(3)}`,
  );

  const officialAt = new Map(official.epochs.map((e) => [e.epoch, e]));
  const reportEpochs = new Set(
    (epochs > def.train.epochs && def.eval.report_epochs_40 ? def.eval.report_epochs_40 : def.eval.report_epochs).filter((e) => e <= stopAfter),
  );
  for (let e = 5; e <= stopAfter; e += 5) reportEpochs.add(e);
  reportEpochs.add(stopAfter);

  // ---- raw-pixel baseline -------------------------------------------------------------------
  const tPix = performance.now();
  const pixel = await knnOfRows(
    { features: pixelFeatures(bank.images, transform), labels: bank.labels },
    { features: pixelFeatures(queries.images, transform), labels: queries.labels },
    rule,
  );
  const pixelBaseline = {
    ours: pixel.top1,
    top5: pixel.top5,
    official: official.pixel_knn_top1,
    match: Math.abs(pixel.top1 - official.pixel_knn_top1) < 0.05,
    ms: performance.now() - tPix,
  };
  console.log(
    `raw-pixel k-NN top-1 ${pixel.top1.toFixed(1)} % (README: ${official.pixel_knn_top1} %) ${pixelBaseline.match ? 'OK' : 'MISMATCH: data or k-NN differ'}`,
  );

  const rows: EpochResult[] = [];
  const stepRows: Pick<MetricRow, 'step' | 'epoch' | 'loss' | 'teacherEntropy' | 'kl' | 'centerNorm' | 'lr' | 'wd' | 'momentum'>[] = [];

  const evalKnn = async (epoch: number): Promise<KnnEval> => {
    const t0 = performance.now();
    const r = await modelKnn(runModel(run, 'teacher'), bank, queries, { transform, rule, batchSize: 250 });
    const ms = performance.now() - t0;
    knnCount++;
    console.log(`  epoch ${epoch}: teacher k-NN top-1 ${r.top1.toFixed(1)} % (top-5 ${r.top5.toFixed(1)} %) [${(ms / 1000).toFixed(1)} s]`);
    return { ...r, ms };
  };

  const tStart = performance.now();
  let trainMsTotal = 0;
  let knnMsTotal = 0;
  let knnCount = 0;

  const write = (finished: boolean): void => {
    mkdirSync(path.dirname(outFile), { recursive: true });
    const result = {
      benchmark: 'fashion-bench v1',
      finished,
      seed: args.seed,
      scheduleEpochs: epochs,
      epochsRun: rows.length > 0 ? rows[rows.length - 1].epoch : 0,
      scheduleMatchesOfficial: scheduleMatches,
      setup: { ...setup, loadAvgEnd: os.loadavg() },
      timing: {
        totalMs: performance.now() - tStart,
        trainMs: trainMsTotal,
        knnMs: knnMsTotal,
        steps: run.step,
        msPerStep: run.step > 0 ? trainMsTotal / run.step : null,
      },
      tolerance: TOLERANCE,
      pixelKnn: pixelBaseline,
      epochs: rows,
      steps: stepRows,
      config,
      data: { ...def.data, dir: dataDir, classes: CLASSES },
      officialSource: path.join(args.benchDir, 'fashion-bench-official.json'),
    };
    writeFileSync(outFile, JSON.stringify(result, null, 1) + '\n');
  };

  // ---- epoch 0: the random init ---------------------------------------------------------------
  {
    const k = await evalKnn(0);
    knnMsTotal += k.ms;
    rows.push({ epoch: 0, steps: 0, knnTop1: compare(k.top1, officialAt.get(0)?.knn_top1, 'knnTop1'), knnTop5: k.top5, knnMs: k.ms });
    write(false);
  }

  // ---- training -------------------------------------------------------------------------------
  const totalSteps = stopAfter * spe;
  for (let epoch = 1; epoch <= stopAfter; epoch++) {
    const tEpoch = performance.now();
    for (let s = 0; s < spe; s++) {
      run.runStep(trainStore);
      const done = run.step;
      if (done <= 3 || done % 5 === 0 || s === spe - 1) {
        const elapsed = trainMsTotal + (performance.now() - tEpoch);
        const perStep = elapsed / done;
        const evalLeft = [...reportEpochs].filter((e) => e >= epoch).length * (knnMsTotal / Math.max(1, knnCount));
        console.log(
          `epoch ${epoch}/${stopAfter} step ${s + 1}/${spe} (total ${done}/${totalSteps}) ${perStep.toFixed(0)} ms/step, ` +
            `elapsed ${hms(performance.now() - tStart)}, ETA ${hms(perStep * (totalSteps - done) + evalLeft)}`,
        );
      }
    }
    const metrics = await run.flushMetrics();
    const trainMs = performance.now() - tEpoch;
    trainMsTotal += trainMs;
    const mean = (f: (r: MetricRow) => number): number => metrics.reduce((a, r) => a + f(r), 0) / metrics.length;
    const bad = metrics.filter((r) => !Number.isFinite(r.loss));
    if (bad.length > 0) throw new Error(`non-finite loss at steps ${bad.map((r) => r.step).join(', ')}`);
    for (const r of metrics) {
      stepRows.push({
        step: r.step,
        epoch: r.epoch + 1,
        loss: r.loss,
        teacherEntropy: r.teacherEntropy,
        kl: r.kl,
        centerNorm: r.centerNorm,
        lr: r.lr,
        wd: r.wd,
        momentum: r.momentum,
      });
    }
    const off = officialAt.get(epoch);
    const row: EpochResult = {
      epoch,
      steps: metrics.length,
      loss: compare(mean((r) => r.loss), off?.loss, 'loss'),
      teacherEntropy: compare(mean((r) => r.teacherEntropy), off?.teacher_entropy, 'teacherEntropy'),
      kl: compare(mean((r) => r.kl), off?.kl, 'kl'),
      trainMs,
      msPerStep: trainMs / metrics.length,
    };
    console.log(
      `epoch ${epoch}: loss ${cell(row.loss, 3).trim()} | entropy ${cell(row.teacherEntropy, 3).trim()} | KL ${cell(row.kl, 3).trim()} | ${row.msPerStep!.toFixed(0)} ms/step`,
    );
    if (reportEpochs.has(epoch)) {
      const k = await evalKnn(epoch);
      knnMsTotal += k.ms;
      row.knnTop1 = compare(k.top1, off?.knn_top1, 'knnTop1');
      row.knnTop5 = k.top5;
      row.knnMs = k.ms;
    }
    rows.push(row);
    write(false);
  }

  const totalMs = performance.now() - tStart;
  write(true);
  printTable(rows);
  const verdicts = rows.flatMap((r) => [r.loss, r.teacherEntropy, r.kl, r.knnTop1]).filter((c): c is Compared => !!c && c.verdict !== 'n/a');
  const count = (v: Verdict): number => verdicts.filter((c) => c.verdict === v).length;
  console.log(
    `\n${verdicts.length} comparisons: ${count('in')} in, ${count('near')} near, ${count('OUT')} OUT` +
      (scheduleMatches ? '' : ' (schedule differs from the official run: indicative only)'),
  );
  console.log(`raw-pixel k-NN top-1 ${pixel.top1.toFixed(1)} % (README ${official.pixel_knn_top1} %)`);
  console.log(
    `time: ${hms(totalMs)} total, ${(trainMsTotal / Math.max(1, run.step)).toFixed(0)} ms/step over ${run.step} steps (${hms(trainMsTotal)} training, ` +
      `${hms(knnMsTotal)} k-NN); backend ${setup.backend}, ${threads} thread, load avg ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')} (shared machine: timings noisy)`,
  );
  console.log(`wrote ${path.relative(process.cwd(), outFile)}`);
  run.dispose();
  trainStore.dispose();
}

main().catch((e: unknown) => {
  console.error(`fashion-bench: ${e instanceof Error ? e.message : String(e)}`);
  if (e instanceof Error && process.env.DEBUG) console.error(e.stack);
  process.exit(1);
});
