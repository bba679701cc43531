/**
 * Exports in the official layouts, so PyTorch DINO code can continue or evaluate a browser run:
 * a `main_dino.py`-style checkpoint (.pth), the teacher backbone as a plain state dict (.pth, like
 * the released files), and the teacher (backbone.* + head.*, official names) with the center as
 * safetensors carrying the architecture in its metadata.
 */
import type { TensorMap } from '../shared/host-tensor';
import type { DinoRun } from '../engine/dino-run';
import { toHost } from '../engine/params';
import { toDinolabSafetensors, toOfficialCheckpoint } from '../engine/weights/export';
import { writePth } from '../engine/weights/pth-writer';

export type ExportFormat = 'official-checkpoint' | 'teacher-backbone' | 'teacher-safetensors';

function part(map: TensorMap, prefix: string): TensorMap {
  const out: TensorMap = new Map();
  for (const [n, t] of map) if (n.startsWith(prefix)) out.set(n.slice(prefix.length), t);
  return out;
}

export async function exportRun(run: DinoRun, format: ExportFormat): Promise<{ bytes: Uint8Array; fileName: string }> {
  const teacher = await toHost(run.model.teacher);
  const center = (await toHost({ center: run.model.center })).get('center')!;
  const tag = `step${run.step}`;
  switch (format) {
    case 'teacher-backbone':
      return { bytes: writePth(part(teacher, 'backbone.'), 'backbone'), fileName: `dinolab-teacher-backbone-${tag}.pth` };
    case 'teacher-safetensors': {
      const bytes = toDinolabSafetensors({
        backbone: part(teacher, 'backbone.'),
        head: part(teacher, 'head.'),
        center,
        arch: run.model.vit,
        headArch: run.model.head,
        epoch: run.epoch,
      });
      return { bytes, fileName: `dinolab-teacher-${tag}.safetensors` };
    }
    case 'official-checkpoint': {
      const student = await toHost(run.model.student);
      const bytes = toOfficialCheckpoint({
        student: { backbone: part(student, 'backbone.'), head: part(student, 'head.') },
        teacher: { backbone: part(teacher, 'backbone.'), head: part(teacher, 'head.') },
        // main_dino stores the index of the next epoch to run.
        epoch: run.epoch,
        center,
        arch: run.model.vit,
        headArch: run.model.head,
      });
      return { bytes, fileName: `dinolab-checkpoint-${tag}.pth` };
    }
  }
}
