/**
 * The DINO loss (official `DINOLoss`) with the paper's collapse diagnostics.
 *
 * Teacher: q = softmax((t - center) / tau_t) on the 2 global crops; student: log p = log_softmax(s / tau_s)
 * on all crops. The loss averages the cross-entropy -sum_k q log p over every (teacher crop i,
 * student crop v != i) pair and the batch. Since H(q, p) = h(q) + KL(q || p) and each teacher row
 * appears in exactly ncrops - 1 pairs, loss = mean entropy of the teacher rows + mean KL.
 *
 * Shapes: B images, ncrops = 2 + local crops, K prototypes. Rows are crop-major.
 */
import * as tf from '@tensorflow/tfjs';

interface DinoLossInputs {
  /** Raw student head output, (ncrops*B, K). */
  student: tf.Tensor2D;
  /** Raw teacher head output, (2B, K); treated as a constant. */
  teacher: tf.Tensor2D;
  /** Running center, (1, K); null means centering is off. */
  center: tf.Tensor | null;
  studentTemp: number;
  teacherTemp: number;
}

interface DinoLossOut {
  loss: tf.Scalar;
  /** Teacher probabilities used as targets, (2B, K). */
  teacherProbs: tf.Tensor2D;
}

/**
 * Loss and teacher targets. Differentiable in `student` only. Not tidied: call inside
 * tf.tidy or a gradient function.
 */
export function dinoLoss(x: DinoLossInputs): DinoLossOut {
  const [rowsT, K] = x.teacher.shape;
  const B = rowsT / 2;
  const ncrops = x.student.shape[0] / B;
  if (!Number.isInteger(B) || !Number.isInteger(ncrops) || ncrops < 2 || x.student.shape[1] !== K) {
    throw new Error(
      `dino loss needs teacher [2B, K] and student [ncrops*B, K] with ncrops >= 2, got teacher [${x.teacher.shape.join(', ')}] and student [${x.student.shape.join(', ')}]`,
    );
  }
  // No gradient reaches the teacher: its output and the center are not among the differentiated variables.
  const teacherProbs = teacherTargets(x.teacher, x.center, x.teacherTemp); // (2B, K)
  const logP = tf.logSoftmax(tf.div(x.student, x.studentTemp)); // (ncrops*B, K)
  // cross[i, v] = sum over batch and prototypes of q_i * log p_v, for teacher crop i, student crop v.
  const cross = tf.matMul(tf.reshape(teacherProbs, [2, B * K]), tf.reshape(logP, [ncrops, B * K]), false, true);
  const all = tf.sum(cross);
  const sameView = tf.add(tf.slice(cross, [0, 0], [1, 1]), tf.slice(cross, [1, 1], [1, 1]));
  const nTerms = 2 * (ncrops - 1);
  const loss = tf.div(tf.neg(tf.sub(all, tf.reshape(sameView, []))), B * nTerms) as tf.Scalar;
  return { loss, teacherProbs };
}

/** The teacher's targets q = softmax((t - center) / tau_t), (2B, K); center null = no centering. Not tidied. */
export function teacherTargets(teacher: tf.Tensor2D, center: tf.Tensor | null, teacherTemp: number): tf.Tensor2D {
  const centred = center ? tf.sub(teacher, center) : teacher;
  return tf.softmax(tf.div(centred, teacherTemp)) as tf.Tensor2D;
}

/** Mean entropy h(q) = -sum_k q ln q over the teacher rows (0 ln 0 = 0), as a scalar. */
export function meanEntropy(probs: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const safeLog = tf.log(tf.maximum(probs, 1e-30));
    return tf.neg(tf.mean(tf.sum(tf.mul(probs, safeLog), -1))) as tf.Scalar;
  });
}

/** center <- m * center + (1 - m) * mean of the raw teacher rows; returns the new center (1, K). */
export function nextCenter(center: tf.Tensor, teacher: tf.Tensor2D, momentum: number): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.mul(center, momentum), tf.mul(tf.mean(teacher, 0, true), 1 - momentum))) as tf.Tensor2D;
}
