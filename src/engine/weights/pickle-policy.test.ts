import { describe, expect, it } from 'vitest';
import { isAllowedGlobal } from './pickle-policy';

describe('isAllowedGlobal (an allow-list of what torch.save writes for models and checkpoints)', () => {
  it.each([
    ['os', 'system'], ['posix', 'system'], ['nt', 'system'], ['subprocess', 'Popen'], ['subprocess', 'check_output'],
    ['builtins', 'eval'], ['builtins', 'exec'], ['builtins', '__import__'], ['builtins', 'getattr'], ['__builtin__', 'eval'],
    ['builtins', 'open'], ['sys', 'modules'], ['shutil', 'rmtree'], ['socket', 'socket'], ['os.path', 'join'],
    ['torch.storage', '_load_from_bytes'], ['torch', 'load'], ['numpy.testing._private.utils', 'runstring'],
    ['runpy', '_run_code'], ['importlib', 'import_module'], ['collections', '__builtins__'], ['os', 'path.join'],
    ['somepackage', 'system'], ['pickle', 'loads'],
    // inert in a VM that calls nothing, yet no model file needs them (they passed the old deny-list)
    ['_posixsubprocess', 'fork_exec'], ['pydoc', 'pipepager'], ['torch.utils.cpp_extension', 'load_inline'],
    ['torch.optim.adamw', 'AdamW'], ['__main__', 'MyConfig'], ['torch', 'hub'], ['torch', 'FloatStorage.__reduce__'],
    ['collections', 'OrderedDict.fromkeys'], ['builtins', 'object.__subclasses__'],
  ])('refuses %s.%s', (module, name) => {
    expect(isAllowedGlobal(module, name)).toBe(false);
  });

  it.each([
    ['collections', 'OrderedDict'], ['torch._utils', '_rebuild_tensor_v2'], ['torch._utils', '_rebuild_parameter'],
    ['torch', 'FloatStorage'], ['torch', 'BFloat16Storage'], ['torch.cuda', 'HalfStorage'], ['torch', 'float32'],
    ['torch', 'device'], ['torch', 'Size'], ['argparse', 'Namespace'], ['builtins', 'set'], ['__builtin__', 'set'],
    ['numpy.core.multiarray', 'scalar'], ['numpy', 'dtype'], ['numpy.core.multiarray', '_reconstruct'], ['_codecs', 'encode'],
    ['copyreg', '_reconstructor'], ['builtins', 'object'],
  ])('allows %s.%s', (module, name) => {
    expect(isAllowedGlobal(module, name)).toBe(true);
  });
});
