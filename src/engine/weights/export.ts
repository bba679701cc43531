/**
 * Writers for the two files a person takes out of dinolab: a dinolab safetensors (official names
 * under `backbone.` / `head.`, the config in the metadata, so loading needs no hints) and a
 * main_dino.py-style `checkpoint.pth` that the official code can resume from or evaluate.
 */
import type { HeadConfig, ViTConfig } from '../../shared/config';
import type { HostTensor, TensorMap } from '../../shared/host-tensor';
import type { NetworkWeights } from './layouts';
import { writePth } from './pth-writer';
import { writeSafetensors } from './safetensors';

function prefixed(prefix: string, tensors: TensorMap | null | undefined, into: TensorMap = new Map()): TensorMap {
  for (const [k, t] of tensors ?? []) into.set(prefix + k, t);
  return into;
}

/** One network as a MultiCropWrapper state dict (`backbone.*`, `head.*`), optionally prefixed. */
function networkStateDict(net: NetworkWeights, prefix = ''): TensorMap {
  return prefixed(`${prefix}head.`, net.head, prefixed(`${prefix}backbone.`, net.backbone));
}

export interface DinolabExport {
  backbone: TensorMap;
  head?: TensorMap | null;
  center?: HostTensor | null;
  arch: ViTConfig;
  headArch?: HeadConfig | null;
  epoch?: number | null;
}

/** safetensors with `backbone.*`, `head.*`, `center` and metadata `dinolab.config` = {model, head}. */
export function toDinolabSafetensors(w: DinolabExport): Uint8Array {
  const tensors = networkStateDict({ backbone: w.backbone, head: w.head ?? null });
  if (w.center) tensors.set('center', w.center);
  const metadata: Record<string, string> = {
    format: 'pt', // what Hugging Face loaders expect of a torch-compatible safetensors file
    [DINOLAB_CONFIG_KEY]: JSON.stringify(w.headArch ? { model: w.arch, head: w.headArch } : { model: w.arch }),
  };
  if (w.epoch !== undefined && w.epoch !== null) metadata['dinolab.epoch'] = String(w.epoch);
  return writeSafetensors(tensors, metadata);
}

export interface CheckpointExport {
  student: NetworkWeights;
  teacher: NetworkWeights;
  /** main_dino stores the index of the next epoch to run (last finished + 1). */
  epoch: number;
  center?: HostTensor | null;
  /** The architecture, stored as the plain-dict entry `dinolab.config` (a JSON string) that the
   *  official loaders never read: shapes alone cannot tell the number of heads. */
  arch?: ViTConfig;
  headArch?: HeadConfig;
}

/** The `dinolab.config` entry a checkpoint.pth (or safetensors metadata) carries. */
const DINOLAB_CONFIG_KEY = 'dinolab.config';

/**
 * `checkpoint.pth` as main_dino.py writes it: `student` (DDP `module.` prefix), `teacher`, `epoch`,
 * `dino_loss` {center}, and dinolab's `dinolab.config`. The optimizer and args are left out;
 * `restart_from_checkpoint` skips them, as it skips `dinolab.config`.
 */
export function toOfficialCheckpoint(c: CheckpointExport, rootName = 'checkpoint'): Uint8Array {
  return writePth(
    {
      student: networkStateDict(c.student, 'module.'),
      teacher: networkStateDict(c.teacher),
      epoch: c.epoch,
      ...(c.center ? { dino_loss: new Map([['center', c.center]]) } : {}),
      ...(c.arch ? { [DINOLAB_CONFIG_KEY]: JSON.stringify(c.headArch ? { model: c.arch, head: c.headArch } : { model: c.arch }) } : {}),
    },
    rootName,
  );
}
