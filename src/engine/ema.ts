/**
 * The teacher is an exponential moving average of the student: t <- m t + (1 - m) s for every
 * parameter, frozen ones included (official `main_dino.py`, "EMA update for the teacher").
 */
import * as tf from '@tensorflow/tfjs';
import type { VarParams } from './params';

export function emaUpdate(teacher: VarParams, student: VarParams, momentum: number): void {
  tf.tidy(() => {
    for (const [name, t] of Object.entries(teacher)) {
      const s = student[name];
      if (!s) throw new Error(`EMA: student has no parameter ${name}`);
      t.assign(tf.add(tf.mul(t, momentum), tf.mul(s, 1 - momentum)));
    }
  });
}
