/**
 * Weights I/O: pure TypeScript (no tfjs, no DOM), for the worker, the browser and Node.
 * Start from `loadWeights`; the readers and writers below it are exported for tools and tests.
 */
export { WeightsError } from './errors';
export { readSafetensors, writeSafetensors, type SafetensorsFile } from './safetensors';
export { readPth, pthStateDicts, isHostTensor } from './pth';
export { writePth, type PthContent } from './pth-writer';
export { PickleGlobal, PickleObject } from './pickle';
export { inferViTConfig, inferHeadConfig, checkBackboneShapes, checkHeadShapes, type ArchHints } from './arch';
export { backboneToHuggingFace, huggingFaceToOfficial } from './huggingface';
export {
  loadWeights, type LoadedWeights, type LoadOptions, type NetworkWeights, type NetworkName, type WeightsLayout,
} from './layouts';
export { toDinolabSafetensors, toOfficialCheckpoint, type DinolabExport, type CheckpointExport } from './export';
