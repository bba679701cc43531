/**
 * Exports in the official layouts, so PyTorch DINO code can continue or evaluate a browser run:
 * a `main_dino.py`-style checkpoint (.pth) and the teacher backbone as plain safetensors.
 */
import type { TensorMap } from '../shared/host-tensor';
import type { DinoRun } from '../engine/dino-run';
import { toHost } from '../engine/params';
import { writeSafetensors } from '../engine/weights/safetensors';
import { writePth } from '../engine/weights/pth-writer';

function strip(map: TensorMap, prefix: string, add = ''): TensorMap {
  const out: TensorMap = new Map();
  for (const [n, t] of map) if (n.startsWith(prefix)) out.set(add + n.slice(prefix.length), t);
  return out;
}

export async function exportTeacherBackbone(run: DinoRun): Promise<{ bytes: Uint8Array; fileName: string }> {
  const teacher = await toHost(run.model.teacher);
  const bytes = writeSafetensors(strip(teacher, 'backbone.'), {
    format: 'pt',
    'dinolab.config': JSON.stringify({ model: run.config.model }),
  });
  return { bytes, fileName: `dinolab-teacher-backbone-step${run.step}.safetensors` };
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
