import { describe, expect, it } from 'vitest';
import { isDangerousGlobal } from './pickle-policy';

describe('isDangerousGlobal', () => {
  it.each([
    ['os', 'system'], ['posix', 'system'], ['nt', 'system'], ['subprocess', 'Popen'], ['subprocess', 'check_output'],
    ['builtins', 'eval'], ['builtins', 'exec'], ['builtins', '__import__'], ['builtins', 'getattr'], ['__builtin__', 'eval'],
    ['builtins', 'open'], ['sys', 'modules'], ['shutil', 'rmtree'], ['socket', 'socket'], ['os.path', 'join'],
    ['torch.storage', '_load_from_bytes'], ['torch', 'load'], ['numpy.testing._private.utils', 'runstring'],
    ['runpy', '_run_code'], ['importlib', 'import_module'], ['collections', '__builtins__'], ['os', 'path.join'],
    ['somepackage', 'system'], ['pickle', 'loads'],
  ])('refuses %s.%s', (module, name) => {
    expect(isDangerousGlobal(module, name)).toBe(true);
  });

  it.each([
    ['collections', 'OrderedDict'], ['torch._utils', '_rebuild_tensor_v2'], ['torch._utils', '_rebuild_parameter'],
    ['torch', 'FloatStorage'], ['torch', 'device'], ['argparse', 'Namespace'], ['builtins', 'set'], ['__builtin__', 'set'],
    ['numpy.core.multiarray', 'scalar'], ['numpy', 'dtype'], ['numpy.core.multiarray', '_reconstruct'], ['_codecs', 'encode'],
    ['torch.optim.adamw', 'AdamW'], ['__main__', 'MyConfig'], ['copyreg', '_reconstructor'],
  ])('lets %s.%s through (modelled, or an inert placeholder)', (module, name) => {
    expect(isDangerousGlobal(module, name)).toBe(false);
  });
});
