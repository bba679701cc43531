/**
 * One DINO training iteration, in the order of the official `train_one_epoch`:
 * teacher on the 2 global crops, student on all crops, loss (+ center update), backward,
 * per-parameter clipping, last-layer cancellation, AdamW, teacher EMA.
 *
 * Shapes: B images per crop, S global side, L local side, K prototypes.
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadConfig, ViTConfig } from '../shared/config';
import type { TensorMap } from '../shared/host-tensor';
import type { Rng } from '../shared/rng';
import { adamWStep, clipGradients, createAdamW, disposeAdamW, type AdamWState } from './adamw';
import { dinoHead, l2Norm } from './dino-head';
import { dinoLoss, meanEntropy, nextCenter, teacherTargets } from './dino-loss';
import { emaUpdate } from './ema';
import { dinoShapes } from '../shared/param-shapes';
import { checkShapes, disposeParams, toVariables, type VarParams } from './params';
import { dropPathRates, vitForward, type DropPathMasks } from './vit';

export interface DinoModel {
  vit: ViTConfig;
  head: HeadConfig;
  student: VarParams;
  teacher: VarParams;
  /** Running mean of the teacher output, (1, K). */
  center: tf.Variable;
  opt: AdamWState;
  /** Names of the student parameters that receive gradients, official order. */
  trainable: string[];
}

/** Student = teacher = `init` (host tensors with backbone.* / head.* names). Caller disposes with disposeDino. */
export function createDino(vit: ViTConfig, head: HeadConfig, init: TensorMap, center?: Float32Array): DinoModel {
  const shapes = dinoShapes(vit, head);
  checkShapes(init, shapes, 'initial weights');
  const names = shapes.map(([n]) => n);
  // With norm_last_layer the weight-norm scale g is frozen: no gradient, no optimizer slot.
  const trainable = names.filter((n) => !(head.normLastLayer && n === 'head.last_layer.weight_g'));
  const student = toVariables(init, names, true);
  const teacher = toVariables(init, names, false);
  const studentTrainable = Object.fromEntries(trainable.map((n) => [n, student[n]]));
  return {
    vit,
    head,
    student,
    teacher,
    center: tf.tidy(() => tf.variable(center ? tf.tensor2d(center, [1, head.outDim]) : tf.zeros([1, head.outDim]), false)),
    opt: createAdamW(studentTrainable),
    trainable,
  };
}

export function disposeDino(m: DinoModel): void {
  disposeParams(m.student);
  disposeParams(m.teacher);
  m.center.dispose();
  disposeAdamW(m.opt);
}

/** Hyper-parameters of one iteration (the schedules' values at this step). */
interface StepHyper {
  lr: number;
  weightDecay: number;
  momentum: number;
  teacherTemp: number;
  studentTemp: number;
  /** Epoch index: decides the last-layer freeze. */
  epoch: number;
  freezeLastLayer: number;
  clipGrad: number;
  centerMomentum: number;
  centering: boolean;
  /** Stochastic depth on the student; 0 disables it (and needs no rng). */
  dropPathRate: number;
}

interface StepOut {
  loss: tf.Scalar;
  teacherEntropy: tf.Scalar;
  centerNorm: tf.Scalar;
  /** Parameters whose gradient was scaled down by clipping. */
  nClipped: tf.Scalar;
  /** Only with `trace`: intermediate tensors for conformance checks. */
  trace?: {
    teacherOutput: tf.Tensor2D;
    studentOutput: tf.Tensor2D;
    teacherProbs: tf.Tensor2D;
    gradNorms: tf.Tensor1D;
    /** Gradients after clipping and cancellation, i.e. what AdamW saw. */
    grads: Record<string, tf.Tensor>;
  };
}

function dropPathMasks(rates: number[], batch: number, rng: Rng | undefined): DropPathMasks {
  return rates.map((rate) => {
    if (rate <= 0) return null;
    if (!rng) throw new Error('drop path needs an rng');
    const keep = 1 - rate;
    // Per-sample Bernoulli(keep) scaled by 1/keep: the expected residual is unchanged.
    return tf.tensor1d(Float32Array.from({ length: batch }, () => (rng.next() < keep ? 1 / keep : 0)));
  });
}

/**
 * Rows of images [i0, i0 + b) of a crop-major tensor (crops*B, ...): (crops*b, ...), crop-major.
 * Caller owns the result.
 */
function imagesOf<T extends tf.Tensor>(t: T, crops: number, B: number, i0: number, b: number): T {
  return tf.tidy(() => {
    const rest = t.shape.slice(1);
    const byCrop = tf.reshape(t, [crops, B, ...rest]);
    const part = tf.slice(byCrop, [0, i0, ...rest.map(() => 0)], [crops, b, ...rest]);
    return tf.reshape(part, [crops * b, ...rest]) as T;
  });
}

/** How one iteration is executed; none of these change what it computes. */
export interface StepOptions {
  /** Draws the stochastic-depth masks; needed only when `dropPathRate` > 0. */
  rng?: Rng;
  /** Keep intermediate tensors for conformance checks (StepOut.trace). */
  trace?: boolean;
  /**
   * Images per micro-batch of the student (gradient accumulation): each micro-batch's loss is
   * weighted by its share of the batch and the gradients are summed, so the step equals the whole
   * batch's, and the tape holds only one micro-batch. Unset or >= B: the whole batch at once.
   */
  microBatch?: number;
}

interface StudentPass {
  /** The loss of the whole batch (the micro-batches' weighted sum). */
  loss: tf.Scalar;
  /** Summed gradients, by variable name. */
  byVarName: Record<string, tf.Tensor>;
  /** With `trace`: the student head's outputs, one tensor per micro-batch. */
  studentParts: tf.Tensor2D[];
}

/**
 * The student's forward and backward over the batch, in micro-batches of `chunk` images. On a
 * failure (a later micro-batch can fail while the earlier ones' gradients are held) it frees what
 * it built and rethrows; the caller's tensors are left to the caller.
 */
function studentPass(
  m: DinoModel,
  globals: tf.Tensor4D,
  locals: tf.Tensor4D | null,
  teacherOutput: tf.Tensor2D,
  masksG: DropPathMasks,
  masksL: DropPathMasks,
  hp: StepHyper,
  chunk: number,
  trace: boolean,
): StudentPass {
  const B = globals.shape[0] / 2;
  const nLocal = locals ? locals.shape[0] / B : 0;
  const varList = m.trainable.map((n) => m.student[n]);
  const studentParts: tf.Tensor2D[] = [];
  let loss: tf.Scalar | null = null;
  const byVarName: Record<string, tf.Tensor> = {};
  try {
    for (let i0 = 0; i0 < B; i0 += chunk) {
      const b = Math.min(chunk, B - i0);
      const whole = b === B;
      const part = <T extends tf.Tensor>(t: T, crops: number): T => (whole ? t : imagesOf(t, crops, B, i0, b));
      const g = part(globals, 2);
      const l = locals ? part(locals, nLocal) : null;
      const target = part(teacherOutput, 2);
      const mG = masksG.map((t) => t && part(t, 2));
      const mL = masksL.map((t) => t && part(t, nLocal));
      let value: tf.Scalar;
      let grads: tf.NamedTensorMap;
      try {
        ({ value, grads } = tf.variableGrads(() => {
          const feats = [vitForward(m.student, m.vit, g, { dropPath: mG, clsOnly: true }).cls!];
          if (l) feats.push(vitForward(m.student, m.vit, l, { dropPath: mL, clsOnly: true }).cls!);
          const out = dinoHead(m.student, m.head, feats.length > 1 ? tf.concat(feats, 0) : feats[0]);
          const r = dinoLoss({
            student: out,
            teacher: target,
            center: hp.centering ? m.center : null,
            studentTemp: hp.studentTemp,
            teacherTemp: hp.teacherTemp,
          });
          if (trace) studentParts.push(tf.keep(out));
          // The loss is a mean over the batch's images: each micro-batch carries its share b / B.
          return (whole ? r.loss : tf.mul(r.loss, b / B)) as tf.Scalar;
        }, varList));
      } finally {
        if (!whole) [g, l, target, ...mG, ...mL].forEach((t) => t?.dispose());
      }
      if (loss) {
        const sum = tf.add(loss, value) as tf.Scalar;
        loss.dispose();
        value.dispose();
        loss = sum;
      } else loss = value;
      for (const [vn, gr] of Object.entries(grads)) {
        const acc = byVarName[vn];
        if (acc) {
          byVarName[vn] = tf.add(acc, gr);
          acc.dispose();
          gr.dispose();
        } else byVarName[vn] = gr;
      }
    }
  } catch (e) {
    [loss, ...Object.values(byVarName), ...studentParts].forEach((t) => t?.dispose());
    freeAbandonedTape();
    throw e;
  }
  return { loss: loss!, byVarName, studentParts };
}

/**
 * tfjs 4.22 frees the tensors its gradient tape saved for the backward pass only after a backward
 * pass; when the forward throws, they stay on the abandoned tape (hundreds of activations) and the
 * next gradient call starts a new tape without them. This frees them.
 */
function freeAbandonedTape(): void {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null } }).state;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) node.saved?.forEach((t) => t.dispose());
  state.activeTape = null;
}

/**
 * Runs one iteration in place on `m`. `globals` is (2B, 3, S, S) crop-major, `locals` is
 * (nLocal*B, 3, L, L) or null. Returns scalars (caller owns them; read them back lazily). If it
 * throws, it has freed what it built and left `m` unchanged (the weights change only after the
 * student's last micro-batch).
 */
export function dinoStep(
  m: DinoModel,
  globals: tf.Tensor4D,
  locals: tf.Tensor4D | null,
  hp: StepHyper,
  opts: StepOptions = {},
): StepOut {
  const { rng, trace = false } = opts;
  const B = globals.shape[0] / 2;
  const nLocal = locals ? locals.shape[0] / B : 0;

  // ---- teacher: global crops only, no gradient ------------------------------------------
  const teacherOutput = tf.tidy(() => dinoHead(m.teacher, m.head, vitForward(m.teacher, m.vit, globals, { clsOnly: true }).cls!));
  let probs: tf.Tensor2D | null = null;
  const masks: DropPathMasks = [];
  let pass: StudentPass;
  try {
    // The targets of the whole batch, for the entropy (the loss makes the same ones per micro-batch).
    probs = tf.tidy(() => teacherTargets(teacherOutput, hp.centering ? m.center : null, hp.teacherTemp));
    // ---- student: all crops, crops of one size batched together -------------------------
    const rates = dropPathRates(hp.dropPathRate, m.vit.depth);
    const masksG = dropPathMasks(rates, globals.shape[0], rng);
    masks.push(...masksG);
    const masksL = locals ? dropPathMasks(rates, locals.shape[0], rng) : [];
    masks.push(...masksL);
    const chunk = opts.microBatch !== undefined && opts.microBatch >= 1 ? Math.min(Math.floor(opts.microBatch), B) : B;
    pass = studentPass(m, globals, locals, teacherOutput, masksG, masksL, hp, chunk, trace);
  } catch (e) {
    [teacherOutput, probs].forEach((t) => t?.dispose());
    throw e;
  } finally {
    masks.forEach((t) => t?.dispose());
  }
  const { loss, byVarName, studentParts } = pass;
  const teacherEntropy = meanEntropy(probs);
  let studentOutput: tf.Tensor2D | null = null;
  if (trace) {
    const ncrops = 2 + nLocal;
    studentOutput =
      studentParts.length === 1
        ? studentParts[0]
        : (tf.tidy(() => tf.reshape(tf.concat(studentParts.map((o) => tf.reshape(o, [ncrops, -1, o.shape[1]])), 1), [ncrops * B, -1])) as tf.Tensor2D);
    if (studentParts.length > 1) studentParts.forEach((o) => o.dispose());
  }

  // ---- center: updated after the loss, from the raw teacher output ------------------------
  const newCenter = nextCenter(m.center, teacherOutput, hp.centerMomentum);
  m.center.assign(newCenter);
  newCenter.dispose();

  // ---- gradients: clip per parameter, then cancel the frozen last layer --------------------
  const varToName = new Map(m.trainable.map((n) => [m.student[n].name, n]));
  const named: Record<string, tf.Tensor> = {};
  for (const [vn, g] of Object.entries(byVarName)) named[varToName.get(vn)!] = g;
  const ordered = Object.fromEntries(m.trainable.filter((n) => named[n]).map((n) => [n, named[n]]));
  const { grads, norms, clipped } = clipGradients(ordered, hp.clipGrad);
  if (hp.epoch < hp.freezeLastLayer) {
    for (const n of Object.keys(grads)) {
      if (n.includes('last_layer')) {
        grads[n].dispose();
        delete grads[n];
      }
    }
  }

  // ---- optimizer step and teacher EMA -----------------------------------------------------
  adamWStep(m.opt, m.student, grads, hp.lr, hp.weightDecay);
  emaUpdate(m.teacher, m.student, hp.momentum);

  const centerNorm = tf.tidy(() => l2Norm(m.center)) as tf.Scalar;
  const result: StepOut = { loss: loss as tf.Scalar, teacherEntropy, centerNorm, nClipped: clipped };
  if (trace) {
    result.trace = { teacherOutput, studentOutput: studentOutput!, teacherProbs: probs, gradNorms: norms, grads };
  } else {
    teacherOutput.dispose();
    probs.dispose();
    norms.dispose();
    for (const g of Object.values(grads)) g.dispose();
  }
  return result;
}
