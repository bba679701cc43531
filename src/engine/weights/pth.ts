/**
 * Safe reader for PyTorch `.pth` files written by `torch.save` (the zip container of torch >= 1.6):
 *
 *   <folder>/data.pkl    the pickled object tree; tensors point at storages by persistent id
 *   <folder>/data/<key>  raw little-endian storage bytes
 *   <folder>/version     format version ("3\n")
 *
 * The folder is named after the file when it was saved (`archive`, `checkpoint`, ...), so it is
 * found, never assumed. The pickle runs in ./pickle.ts, which executes nothing: the few globals a
 * state dict needs (OrderedDict, tensor and parameter rebuilds, storage types) are modelled here;
 * any global outside the allow-list of ./pickle-policy.ts refuses the file; the other allowed ones
 * (`args`, numpy scalars) become inert PickleObjects that callers skip.
 *
 * Bounds, so that a small file cannot make us allocate or loop for long: the zip's inflate budget
 * (./zip.ts), MAX_PICKLE_BYTES for data.pkl, a work budget for what the pickle's calls expand to,
 * MAX_KEY_LENGTH for state-dict keys and MAX_TREE_DEPTH for the object tree.
 */
import { numel, shapeStr, type HostTensor, type TensorMap } from '../../shared/host-tensor';
import { ELEMENT_SIZE, decodeElements, hostDtypeOf, type ElementType } from './dtype';
import { MAX_KEY_LENGTH, WeightsError, clip, preview, withContext } from './errors';
import { PickleGlobal, PickleObject, unpickle, type PickleHooks } from './pickle';
import { isAllowedGlobal } from './pickle-policy';
import { looksLikeZip, openZip, type ZipArchive } from './zip';

const WHAT = 'PyTorch file';

/** Largest data.pkl, bytes: a main_dino.py ViT-B checkpoint's is about 100 KB; tensors live outside it. */
const MAX_PICKLE_BYTES = 16 * 2 ** 20;
/** Deepest nesting of dicts, lists and objects searched for state dicts (a checkpoint's is about 4). */
const MAX_TREE_DEPTH = 32;

/** Legacy storage classes -> element type (torch still pickles these names for typed storages). */
const STORAGE_TYPES: Readonly<Record<string, ElementType>> = {
  FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64',
  IntStorage: 'I32', LongStorage: 'I64', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** A storage named by a persistent id: an entry of the zip, read only when a tensor needs it. */
class StorageRef {
  constructor(
    readonly type: ElementType,
    readonly entry: string,
    readonly numel: number,
  ) {}
}

function fail(msg: string): never {
  throw new WeightsError(`${WHAT}: ${msg}`);
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isIndexList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every(isIndex);
}

/** Duck-typed HostTensor test, for walking value trees. */
export function isHostTensor(v: unknown): v is HostTensor {
  return (
    typeof v === 'object' && v !== null && 'data' in v && isIndexList((v as HostTensor).shape) &&
    ((v as HostTensor).dtype === 'float32' || (v as HostTensor).dtype === 'int32')
  );
}

/**
 * `_rebuild_tensor_v2(storage, storage_offset, size, stride, ...)`: a view of a storage. Ranges are
 * checked now; the bytes are decoded on first access of `data`, so tensors nobody reads (a
 * checkpoint's optimizer moments) cost nothing.
 */
function rebuildTensor(zip: ZipArchive, args: unknown[]): HostTensor | PickleObject {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) return new PickleObject('torch.Tensor (unsupported storage)', args);
  if (!isIndex(offset) || !isIndexList(size) || !isIndexList(stride) || stride.length !== size.length) {
    fail(`bad tensor arguments (offset ${preview(offset)}, size ${preview(size)}, stride ${preview(stride)})`);
  }
  const count = numel(size);
  const last = offset + size.reduce((acc, n, i) => acc + (n - 1) * stride[i], 0);
  if (count > 0 && last >= storage.numel) {
    fail(`tensor ${shapeStr(size)} at offset ${offset} with stride ${shapeStr(stride)} reads past its storage "${storage.entry}" of ${storage.numel} elements`);
  }
  const decode = () => {
    const from = zip.read(storage.entry).subarray(offset * ELEMENT_SIZE[storage.type]);
    return withContext(`${WHAT}: storage "${storage.entry}"`, () => {
      if (count === 0) return decodeElements(from, storage.type, 0);
      if (isContiguous(size, stride)) return decodeElements(from, storage.type, count);
      return gather(decodeElements(from, storage.type, last - offset + 1), size, stride);
    });
  };
  const tensor = { dtype: hostDtypeOf(storage.type), shape: [...size] } as HostTensor;
  Object.defineProperty(tensor, 'data', {
    enumerable: true,
    configurable: true,
    get() {
      const data = decode();
      Object.defineProperty(tensor, 'data', { value: data, enumerable: true, configurable: true, writable: true });
      return data;
    },
  });
  return tensor;
}

function isContiguous(size: number[], stride: number[]): boolean {
  let expected = 1;
  for (let i = size.length - 1; i >= 0; i--) {
    if (size[i] !== 1 && stride[i] !== expected) return false;
    expected *= size[i];
  }
  return true;
}

/** Copies a strided view into C order. */
function gather(src: Float32Array | Int32Array, size: number[], stride: number[]): Float32Array | Int32Array {
  const out = new (src instanceof Float32Array ? Float32Array : Int32Array)(numel(size));
  const index = new Array<number>(size.length).fill(0);
  let at = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = src[at];
    for (let d = size.length - 1; d >= 0; d--) {
      index[d]++;
      at += stride[d];
      if (index[d] < size[d]) break;
      at -= stride[d] * size[d];
      index[d] = 0;
    }
  }
  return out;
}

/**
 * The hooks that give torch's globals their meaning. `budget` bounds the work the pickle can make
 * us do beyond reading it once: a memoised list handed to OrderedDict() a million times, or a
 * million tensor views of one big storage, would otherwise turn a small file into hours of copying.
 */
function torchHooks(zip: ZipArchive, folder: string, budget: number): PickleHooks {
  const spend = (units: number) => {
    budget -= units;
    if (budget < 0) fail('the pickle expands far beyond the size of the file (a decompression bomb?)');
  };
  return {
    global(module, name) {
      if (!isAllowedGlobal(module, name)) {
        fail(`refusing to load: the file calls ${clip(`${module}.${name}`)} (a pickle can run code); torch.save never writes it for a model or checkpoint`);
      }
      return new PickleGlobal(module, name);
    },
    call(fn, args) {
      if (!(fn instanceof PickleGlobal)) return new PickleObject('<call of a non-global>', args);
      switch (fn.qualifiedName) {
        case 'collections.OrderedDict':
        case 'builtins.dict':
        case '__builtin__.dict': {
          const pairs = Array.isArray(args[0]) ? args[0] : [];
          spend(pairs.length);
          return new Map(pairs.filter((p): p is [unknown, unknown] => Array.isArray(p) && p.length === 2));
        }
        case 'builtins.set':
        case '__builtin__.set':
        case 'builtins.frozenset':
        case '__builtin__.frozenset':
          spend(Array.isArray(args[0]) ? args[0].length : 0);
          return new Set(Array.isArray(args[0]) ? args[0] : []);
        case 'torch._utils._rebuild_tensor':
        case 'torch._utils._rebuild_tensor_v2': {
          const t = rebuildTensor(zip, args);
          if (isHostTensor(t)) spend(4 * numel(t.shape)); // bytes it decodes to
          return t;
        }
        case 'torch._utils._rebuild_parameter':
        case 'torch._utils._rebuild_parameter_with_state':
          return args[0]; // a Parameter is its tensor; requires_grad and hooks do not matter here
        case '_codecs.encode':
          // Protocol 2 spells bytes objects as _codecs.encode(text, 'latin1').
          if (typeof args[0] === 'string' && args[1] === 'latin1') {
            spend(args[0].length);
            return Uint8Array.from(args[0], (c) => c.charCodeAt(0));
          }
          return new PickleObject(fn.qualifiedName, args);
        case 'copyreg._reconstructor':
        case 'copy_reg._reconstructor':
          return new PickleObject(args[0] instanceof PickleGlobal ? args[0].qualifiedName : fn.qualifiedName, args);
        default:
          // torch.device, argparse.Namespace, numpy scalars and dtypes, optimizer classes, ...
          return new PickleObject(fn.qualifiedName, args);
      }
    },
    persistentLoad(pid) {
      // ('storage', StorageType, key, location, numel)
      if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
        fail(`unknown persistent id ${preview(Array.isArray(pid) ? pid[0] : pid)}`);
      }
      const [, type, key, , count] = pid as unknown[];
      if (typeof key !== 'string' || !isIndex(count)) return fail('malformed storage persistent id');
      const entry = `${folder}/data/${key}`;
      const typeName = type instanceof PickleGlobal ? type.qualifiedName : preview(type);
      const elementType = type instanceof PickleGlobal && /^torch(\.cuda)?$/.test(type.module) ? STORAGE_TYPES[type.name] : undefined;
      if (elementType === undefined) return new PickleObject(`storage of type ${typeName}`, [key]);
      if (!zip.has(entry)) fail(`storage "${entry}" is missing from the archive`);
      const need = count * ELEMENT_SIZE[elementType];
      if (zip.size(entry) < need) fail(`storage "${entry}" has ${zip.size(entry)} bytes, ${typeName} of ${count} elements needs ${need}`);
      return new StorageRef(elementType, entry, count);
    },
  };
}

/** Zip magic, or the magic number that pre-1.6 torch.save files start with (pickle protocol 2). */
export function looksLikePth(bytes: Uint8Array): boolean {
  return looksLikeZip(bytes) || (bytes.length > 2 && bytes[0] === 0x80 && bytes[1] === 0x02);
}

/**
 * Reads a `torch.save` file into a value tree: Map for dicts, arrays for lists and tuples,
 * HostTensor (float32 / int32) for tensors, PickleObject for anything not modelled.
 */
export function readPth(bytes: Uint8Array): unknown {
  if (!looksLikeZip(bytes)) {
    if (looksLikePth(bytes)) fail('this is the legacy (before torch 1.6) format; re-save it with a newer torch.save');
    fail('not a zip archive');
  }
  const zip = openZip(bytes, WHAT);
  const pickles = zip.names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length === 0) fail('the zip archive has no <folder>/data.pkl, so it is not a torch.save file');
  if (pickles.length > 1) fail(`the zip archive has several pickles (${pickles.join(', ')})`);
  const folder = pickles[0].slice(0, -'/data.pkl'.length);
  if (zip.size(pickles[0]) > MAX_PICKLE_BYTES) fail(`${clip(pickles[0])} is ${zip.size(pickles[0])} bytes; a model's pickle is far below ${MAX_PICKLE_BYTES}`);
  // Legitimate files stay far below: a storage is rarely viewed by more than two tensors.
  const budget = 8 * bytes.length + 2 ** 20;
  return unpickle(zip.read(pickles[0]), torchHooks(zip, folder, budget), `${WHAT} ${pickles[0]}`);
}

/**
 * Every dict in the tree that holds tensors, by dotted path ('' for the root): for a
 * main_dino checkpoint `student`, `teacher` and `dino_loss`. Only the tensor entries are kept.
 */
export function pthStateDicts(value: unknown): Map<string, TensorMap> {
  const found = new Map<string, TensorMap>();
  const seen = new Set<unknown>();
  const todo: [string, unknown, number][] = [['', value, 0]];
  // Keys of the path are clipped: a file's dict keys can be any value (a list of a million strings).
  const join = (path: string, key: unknown) => {
    const k = typeof key === 'string' ? clip(key) : typeof key === 'number' ? String(key) : preview(key);
    return path ? `${path}.${k}` : k;
  };
  while (todo.length) {
    const [path, v, depth] = todo.pop() as [string, unknown, number];
    if (typeof v !== 'object' || v === null || seen.has(v) || isHostTensor(v)) continue;
    if (depth > MAX_TREE_DEPTH) fail(`the object tree is nested more than ${MAX_TREE_DEPTH} deep (at ${clip(path)})`);
    seen.add(v);
    if (v instanceof Map) {
      const tensors: TensorMap = new Map();
      for (const [k, x] of v) {
        if (typeof k === 'string' && isHostTensor(x)) {
          if (k.length > MAX_KEY_LENGTH) fail(`a state-dict key is ${k.length} characters long ("${clip(k)}"); keys are far below ${MAX_KEY_LENGTH}`);
          tensors.set(k, x);
        } else todo.push([join(path, k), x, depth + 1]);
      }
      if (tensors.size) found.set(path, tensors);
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => todo.push([join(path, i), x, depth + 1]));
    } else if (v instanceof PickleObject) {
      todo.push([path, v.state, depth + 1], [path, v.dictItems, depth + 1]);
    }
  }
  return new Map([...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
