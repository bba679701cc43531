/**
 * Writer for `torch.save`-compatible files: a zip (entries stored, data 64-byte aligned) holding
 *
 *   <root>/data.pkl    pickle protocol 2: dicts of tensors rebuilt by torch._utils._rebuild_tensor_v2
 *   <root>/byteorder   "little"
 *   <root>/data/<n>    one storage per tensor, little-endian
 *   <root>/version     "3\n"
 *
 * Only globals on torch's `weights_only` allow-list are used (OrderedDict, _rebuild_tensor_v2,
 * FloatStorage / IntStorage), so `torch.load(path)` accepts the file with its default settings.
 */
import { numel, shapeStr, type HostTensor, type TensorMap } from '../../shared/host-tensor';
import { encodeElements } from './dtype';
import { WeightsError } from './errors';
import { writeZip, type ZipInput } from './zip';

/** What can be saved: a state dict, or a plain dict of state dicts and numbers (a checkpoint). */
/** A state dict, or a plain dict of state dicts, numbers and strings (a checkpoint). */
export type PthContent = TensorMap | { [key: string]: TensorMap | number | string };

/** Emits the handful of pickle opcodes a state dict needs. */
class PickleWriter {
  private parts: Uint8Array[] = [];
  private encoder = new TextEncoder();

  op(...codes: number[]): void {
    this.parts.push(Uint8Array.from(codes));
  }
  global(module: string, name: string): void {
    this.op(0x63); // GLOBAL
    this.parts.push(this.encoder.encode(`${module}\n${name}\n`));
  }
  str(s: string): void {
    const utf8 = this.encoder.encode(s);
    const head = new Uint8Array(5);
    head[0] = 0x58; // BINUNICODE
    new DataView(head.buffer).setUint32(1, utf8.length, true);
    this.parts.push(head, utf8);
  }
  int(n: number): void {
    if (!Number.isSafeInteger(n)) throw new WeightsError(`PyTorch writer: ${n} is not an integer`);
    if (n >= 0 && n < 256) {
      this.op(0x4b, n); // BININT1
    } else if (n >= 0 && n < 65536) {
      this.op(0x4d, n & 0xff, n >> 8); // BININT2
    } else if (n >= -(2 ** 31) && n < 2 ** 31) {
      const b = new Uint8Array(5);
      b[0] = 0x4a; // BININT
      new DataView(b.buffer).setInt32(1, n, true);
      this.parts.push(b);
    } else {
      // LONG1: little-endian two's complement; 8 bytes hold any safe integer.
      const b = new Uint8Array(10);
      b[0] = 0x8a;
      b[1] = 8;
      new DataView(b.buffer).setBigInt64(2, BigInt(n), true);
      this.parts.push(b);
    }
  }
  float(x: number): void {
    const b = new Uint8Array(9);
    b[0] = 0x47; // BINFLOAT, big-endian
    new DataView(b.buffer).setFloat64(1, x, false);
    this.parts.push(b);
  }
  intTuple(values: number[]): void {
    if (values.length === 0) return this.op(0x29); // EMPTY_TUPLE
    this.op(0x28); // MARK
    values.forEach((v) => this.int(v));
    this.op(0x74); // TUPLE
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((s, p) => s + p.length, 0));
    let pos = 0;
    for (const p of this.parts) {
      out.set(p, pos);
      pos += p.length;
    }
    return out;
  }
}

function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/**
 * Serialises `content` as torch.save would: a TensorMap becomes an OrderedDict state dict; an
 * object becomes a plain dict whose TensorMap values are OrderedDicts, numbers ints/floats and
 * strings str.
 * `rootName` is the folder inside the zip (torch uses the file name without extension).
 */
export function writePth(content: PthContent, rootName = 'archive'): Uint8Array {
  if (!/^[A-Za-z0-9_.-]+$/.test(rootName)) throw new WeightsError(`PyTorch writer: bad root folder name "${rootName}"`);
  const w = new PickleWriter();
  const storages: ZipInput[] = [];

  const tensor = (name: string, t: HostTensor) => {
    if (t.data.length !== numel(t.shape)) {
      throw new WeightsError(`PyTorch writer: tensor "${name}" has shape ${shapeStr(t.shape)} but ${t.data.length} values`);
    }
    const key = String(storages.length);
    storages.push({ name: `${rootName}/data/${key}`, data: encodeElements(t.data) });
    w.global('torch._utils', '_rebuild_tensor_v2');
    w.op(0x28); // MARK: the argument tuple
    w.op(0x28); // MARK: persistent id ('storage', type, key, location, numel)
    w.str('storage');
    w.global('torch', t.dtype === 'float32' ? 'FloatStorage' : 'IntStorage');
    w.str(key);
    w.str('cpu');
    w.int(t.data.length);
    w.op(0x74, 0x51); // TUPLE, BINPERSID
    w.int(0); // storage offset
    w.intTuple(t.shape);
    w.intTuple(contiguousStrides(t.shape));
    w.op(0x89); // requires_grad = False
    orderedDict(); // backward hooks: empty
    w.op(0x74, 0x52); // TUPLE, REDUCE
  };
  const orderedDict = () => {
    w.global('collections', 'OrderedDict');
    w.op(0x29, 0x52); // EMPTY_TUPLE, REDUCE
  };
  const stateDict = (path: string, tensors: TensorMap) => {
    orderedDict();
    if (tensors.size === 0) return;
    w.op(0x28); // MARK
    for (const [name, t] of tensors) {
      w.str(name);
      tensor(path + name, t);
    }
    w.op(0x75); // SETITEMS
  };

  w.op(0x80, 2); // PROTO 2, as torch.save writes
  if (content instanceof Map) {
    stateDict('', content);
  } else {
    w.op(0x7d); // EMPTY_DICT
    const entries = Object.entries(content);
    if (entries.length) {
      w.op(0x28);
      for (const [key, v] of entries) {
        w.str(key);
        if (v instanceof Map) stateDict(`${key}.`, v);
        else if (typeof v === 'string') w.str(v);
        else if (Number.isInteger(v)) w.int(v);
        else w.float(v);
      }
      w.op(0x75);
    }
  }
  w.op(0x2e); // STOP

  const text = (s: string) => new TextEncoder().encode(s);
  return writeZip([
    { name: `${rootName}/data.pkl`, data: w.bytes() },
    { name: `${rootName}/byteorder`, data: text('little') },
    ...storages,
    { name: `${rootName}/version`, data: text('3\n') },
  ]);
}
