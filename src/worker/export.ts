/**
 * Exports in the official layouts, so PyTorch DINO code can continue or evaluate a browser run:
 * a `main_dino.py`-style checkpoint (.pth) and the teacher backbone as a plain state dict (.pth).
 */
import type { TensorMap } from '../shared/host-tensor';
import type { DinoRun } from '../engine/dino-run';
import { toHost } from '../engine/params';
import { writePth } from '../engine/weights/pth-writer';

function strip(map: TensorMap, prefix: string, add = ''): TensorMap {
  const out: TensorMap = new Map();
  for (const [n, t] of map) if (n.startsWith(prefix)) out.set(add + n.slice(prefix.length), t);
  return out;
}

/** The teacher backbone as a plain state dict, like the released `dino_*_pretrain.pth` files. */
export async function exportTeacherBackbone(run: DinoRun): Promise<{ bytes: Uint8Array; fileName: string }> {
  const teacher = await toHost(run.model.teacher);
  return { bytes: writePth(strip(teacher, 'backbone.'), 'backbone'), fileName: `dinolab-teacher-backbone-step${run.step}.pth` };
}

/** `checkpoint.pth` as main_dino.py writes it: student (module.-prefixed), teacher, epoch, dino_loss.center. */
export async function exportOfficialCheckpoint(run: DinoRun): Promise<{ bytes: Uint8Array; fileName: string }> {
  const student = await toHost(run.model.student);
  const teacher = await toHost(run.model.teacher);
  const center = (await toHost({ center: run.model.center })).get('center')!;
  const bytes = writePth(
    {
      student: strip(student, '', 'module.'),
      teacher,
      epoch: run.epoch,
      dino_loss: new Map([['center', center]]),
    },
    'checkpoint',
  );
  return { bytes, fileName: `dinolab-checkpoint-step${run.step}.pth` };
}
