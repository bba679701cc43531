/**
 * Which pickle globals are refused outright. The VM in ./pickle.ts never calls anything, so no
 * global can run code here; but a file that names os.system, eval or subprocess.* was made to
 * attack a Python loader, and we refuse it loudly instead of quietly handing back a placeholder.
 * Globals that are neither refused nor modelled by ./pth.ts become inert placeholders.
 */

/** Modules whose members can touch the process, files, network or the interpreter. */
const DANGEROUS_MODULES = new Set([
  'os', 'posix', 'nt', 'posixpath', 'ntpath', 'subprocess', 'sys', 'shutil', 'socket', 'importlib',
  'runpy', 'pty', 'ctypes', 'code', 'codeop', 'pickle', '_pickle', 'cPickle', 'marshal', 'webbrowser',
  'multiprocessing', 'asyncio', 'signal', 'threading', '_thread', 'tempfile', 'io', '_io', 'codecs',
  'pathlib', 'operator', '_operator', 'types', 'inspect', 'pdb', 'bdb', 'timeit', 'trace',
  'profile', 'cProfile', 'doctest', 'urllib', 'http', 'ftplib', 'smtplib', 'telnetlib', 'requests',
  'glob', 'fcntl', 'resource', 'mmap', 'gc', 'zipimport', 'pkgutil', 'imp', 'ensurepip', 'venv',
  'site', 'sysconfig', 'platform', 'distutils', 'setuptools', 'pip', 'dill', 'joblib',
  'torch.hub', 'torch.jit', 'torch.package', 'torch.serialization', 'numpy.f2py', 'numpy.distutils',
  'numpy.testing',
]);

/** The only members of `builtins` (`__builtin__` in protocol-2 pickles) that are plain data types. */
const SAFE_BUILTINS = new Set([
  'set', 'frozenset', 'list', 'dict', 'tuple', 'int', 'float', 'complex', 'bool', 'str', 'bytes',
  'bytearray', 'slice', 'range', 'object',
]);

/** Names that are loaders or code runners whatever module they come from. */
const DANGEROUS_NAMES = /^(eval|exec|execfile|compile|__import__|system|popen\d?|getattr|setattr|delattr|load|loads|run_path|run_module|runstring|(exec|spawn)[lvpe]+)$/;

/** Globals that are refused even though their module is otherwise fine. */
const DANGEROUS_GLOBALS = new Set(['torch.storage._load_from_bytes', 'torch.load', 'numpy.load']);

/** True when a pickle that names `module.name` must not be loaded at all. */
export function isDangerousGlobal(module: string, name: string): boolean {
  const root = module.split('.')[0];
  if (root === 'builtins' || root === '__builtin__') return !SAFE_BUILTINS.has(name);
  for (let m = module; m; m = m.includes('.') ? m.slice(0, m.lastIndexOf('.')) : '') {
    if (DANGEROUS_MODULES.has(m)) return true;
  }
  // Protocol 4 allows dotted names (`os` + `path.join`); dunder parts reach interpreter internals.
  const parts = name.split('.');
  if (parts.some((part) => part.startsWith('__') || DANGEROUS_NAMES.test(part))) return true;
  return DANGEROUS_GLOBALS.has(`${module}.${name}`);
}
