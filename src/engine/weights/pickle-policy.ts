/**
 * Which pickle globals a weights file may name: an allow-list of what torch.save writes for
 * tensors, state dicts and main_dino.py checkpoints (its `args` and optimizer state included).
 * The VM in ./pickle.ts never calls anything, so no global could run code here anyway; but a file
 * that names anything else (os.system, subprocess, pydoc.pipepager, ...) was not made by torch.save
 * for a model, and is refused loudly instead of being handed back as a placeholder.
 */

/** `module.name` pairs allowed as they are. */
const ALLOWED = new Set([
  // containers and the way protocol 2 spells bytes and plain objects
  'collections.OrderedDict', '_codecs.encode', 'copyreg._reconstructor', 'copy_reg._reconstructor',
  // tensors and parameters (torch._utils), as torch's own weights_only unpickler allows them
  'torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state', 'torch._tensor._rebuild_from_type_v2', 'torch.nn.parameter.Parameter',
  'torch.Size', 'torch.device', 'torch.serialization._get_layout', 'torch.storage.UntypedStorage',
  // main_dino.py saves its argparse arguments; numpy scalars and arrays turn up in them
  'argparse.Namespace', 'numpy.dtype', 'numpy.ndarray', 'numpy.core.multiarray.scalar',
  'numpy.core.multiarray._reconstruct', 'numpy._core.multiarray.scalar', 'numpy._core.multiarray._reconstruct',
]);

/** Data types of `builtins` (`__builtin__` in protocol-2 pickles); `object` is copyreg's base class. */
const BUILTIN_TYPES = new Set([
  'set', 'frozenset', 'list', 'dict', 'tuple', 'int', 'float', 'complex', 'bool', 'str', 'bytes',
  'bytearray', 'slice', 'range', 'object',
]);

/** torch.<X>Storage (torch.cuda.<X>Storage in old GPU checkpoints) and torch dtypes (torch.float32). */
const TORCH_MEMBER = /^(\w+Storage|float(16|32|64)?|bfloat16|half|double|u?int(8|16|32|64)|long|short|bool|complex(64|128)|cfloat|cdouble)$/;

/** True when a pickle may name `module.name`. */
export function isAllowedGlobal(module: string, name: string): boolean {
  if (ALLOWED.has(`${module}.${name}`)) return true;
  if (module === 'builtins' || module === '__builtin__') return BUILTIN_TYPES.has(name);
  if (module === 'torch' || module === 'torch.cuda') return TORCH_MEMBER.test(name);
  return false;
}
