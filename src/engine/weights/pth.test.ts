import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostTensor, TensorMap } from '../../shared/host-tensor';
import { WeightsError } from './errors';
import { PickleObject } from './pickle';
import { pthStateDicts, readPth } from './pth';
import { writePth } from './pth-writer';
import { readSafetensors } from './safetensors';
import { PickleBytes, f32, firstDifference, golden, pthZip } from '../../test-support/weights';
import { openZip } from './zip';

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** A pickle of {name: tensor} over one storage, inside a torch.save-shaped zip. */
function oneTensorPth(storageType: string, storage: Uint8Array, numel: number, offset: number, size: number[], stride: number[]) {
  const p = new PickleBytes().op(0x80, 2).global('collections', 'OrderedDict').op(0x29, 0x52).str('t');
  p.tensor(storageType, '0', numel, offset, size, stride).op(0x73, 0x2e);
  return pthZip(p.build(), { 0: storage });
}

function tensorOf(file: Uint8Array): HostTensor {
  return pthStateDicts(readPth(file)).get('')!.get('t')!;
}

describe('readPth on the golden files', () => {
  it('backbone.pth holds exactly the tensors of backbone.safetensors', () => {
    const dicts = pthStateDicts(readPth(golden('backbone.pth')));
    expect([...dicts.keys()]).toEqual(['']);
    const fromPth = dicts.get('')!;
    const fromSt = readSafetensors(golden('backbone.safetensors')).tensors;
    expect([...fromPth.keys()]).toEqual([...fromSt.keys()]);
    expect(firstDifference(fromSt, fromPth)).toBeNull();
  });

  it('checkpoint.pth: student, teacher, epoch and dino_loss, with the _metadata BUILDs accepted', () => {
    const root = readPth(golden('checkpoint.pth')) as Map<string, unknown>;
    expect([...root.keys()]).toEqual(['student', 'teacher', 'epoch', 'dino_loss']);
    expect(root.get('epoch')).toBe(2);
    const dicts = pthStateDicts(root);
    expect([...dicts.keys()]).toEqual(['dino_loss', 'student', 'teacher']);
    expect(dicts.get('student')!.size).toBe(38);
    expect(dicts.get('student')!.has('module.head.last_layer.weight_g')).toBe(true);
    expect(dicts.get('teacher')!.get('backbone.pos_embed')!.shape).toEqual([1, 17, 48]);
    expect(dicts.get('dino_loss')!.get('center')!.shape).toEqual([1, 64]);
  });
});

describe('readPth tensor rebuilding', () => {
  const values = new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]);

  it('honours storage offset and size', () => {
    const t = tensorOf(oneTensorPth('FloatStorage', bytesOf(values), 8, 2, [2, 2], [2, 1]));
    expect(t.shape).toEqual([2, 2]);
    expect([...t.data]).toEqual([2, 3, 4, 5]);
  });

  it('gathers non-contiguous strides (a transposed view) into C order', () => {
    // storage as [2, 3] = [[0, 1, 2], [3, 4, 5]]; the view is its transpose [3, 2].
    const t = tensorOf(oneTensorPth('FloatStorage', bytesOf(values), 8, 0, [3, 2], [1, 3]));
    expect([...t.data]).toEqual([0, 3, 1, 4, 2, 5]);
    const expanded = tensorOf(oneTensorPth('FloatStorage', bytesOf(values), 8, 1, [2, 3], [0, 1]));
    expect([...expanded.data]).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it('converts half, bfloat16 and double storages to float32 and long to int32', () => {
    const half = Uint8Array.from([0x00, 0x3c, 0x00, 0xc0]); // 1, -2
    expect([...tensorOf(oneTensorPth('HalfStorage', half, 2, 0, [2], [1])).data]).toEqual([1, -2]);
    const bf16 = Uint8Array.from([0x80, 0x3f, 0x49, 0x40]); // 1, 3.140625
    expect([...tensorOf(oneTensorPth('BFloat16Storage', bf16, 2, 0, [2], [1])).data]).toEqual([1, 3.140625]);
    const dbl = tensorOf(oneTensorPth('DoubleStorage', bytesOf(new Float64Array([0.1, 2])), 2, 0, [2], [1]));
    expect(dbl.dtype).toBe('float32');
    expect([...dbl.data]).toEqual([Math.fround(0.1), 2]);
    const long = tensorOf(oneTensorPth('LongStorage', bytesOf(new BigInt64Array([-3n, 9n])), 2, 0, [], []));
    expect(long.dtype).toBe('int32');
    expect(long.shape).toEqual([]);
    expect([...long.data]).toEqual([-3]);
  });

  it('refuses a view that reads past its storage, naming the storage', () => {
    expect(() => readPth(oneTensorPth('FloatStorage', bytesOf(values), 8, 4, [2, 3], [3, 1]))).toThrow(
      /tensor \[2, 3\] at offset 4 with stride \[3, 1\] reads past its storage "archive\/data\/0" of 8 elements/,
    );
  });

  it('refuses a storage whose entry is shorter than its numel, or missing', () => {
    expect(() => readPth(oneTensorPth('FloatStorage', bytesOf(values), 9, 0, [9], [1]))).toThrow(
      /storage "archive\/data\/0" has 32 bytes, torch.FloatStorage of 9 elements needs 36/,
    );
    const p = new PickleBytes().op(0x80, 2, 0x7d).str('t').tensor('FloatStorage', '7', 1, 0, [1], [1]).op(0x73, 0x2e);
    expect(() => readPth(pthZip(p.build()))).toThrow(/storage "archive\/data\/7" is missing from the archive/);
  });

  it('keeps tensors of unsupported storage types as placeholders', () => {
    const t = pthStateDicts(readPth(oneTensorPth('ComplexFloatStorage', bytesOf(values), 4, 0, [4], [1])));
    expect(t.size).toBe(0);
  });
});

describe('readPth safety', () => {
  const marker = path.join(tmpdir(), `dinolab-pwned-${process.pid}`);

  /** {'weights': OrderedDict(), 'x': <module>.<name>('touch marker')} */
  function attack(module: string, name: string, stackGlobal = false): Uint8Array {
    const p = new PickleBytes().op(0x80, stackGlobal ? 4 : 2, 0x7d).str('x');
    if (stackGlobal) p.str(module).str(name).op(0x93);
    else p.global(module, name);
    return pthZip(p.op(0x28).str(`touch ${marker}`).op(0x74, 0x52, 0x73, 0x2e).build());
  }

  it.each([
    ['os', 'system'], ['posix', 'system'], ['nt', 'system'], ['subprocess', 'Popen'], ['builtins', 'eval'],
    ['builtins', 'exec'], ['__builtin__', 'getattr'], ['builtins', '__import__'], ['torch.storage', '_load_from_bytes'],
    ['_posixsubprocess', 'fork_exec'], ['pydoc', 'pipepager'], ['torch.utils.cpp_extension', 'load_inline'],
    ['torch.optim.adamw', 'AdamW'],
  ])('refuses a pickle that calls %s.%s, and runs nothing', (module, name) => {
    for (const stackGlobal of [false, true]) {
      const file = attack(module, name, stackGlobal);
      expect(() => readPth(file)).toThrow(WeightsError);
      expect(() => readPth(file)).toThrow(`refusing to load: the file calls ${module}.${name} (a pickle can run code)`);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('keeps the allowed non-tensor globals (args) as inert placeholders next to the weights', () => {
    const p = new PickleBytes().op(0x80, 2, 0x7d, 0x28);
    p.str('model').global('collections', 'OrderedDict').op(0x29, 0x52).str('w').tensor('FloatStorage', '0', 2, 0, [2], [1]).op(0x73);
    p.str('optimizer').op(0x7d, 0x28).str('param_groups').op(0x5d, 0x75); // optimizer.state_dict(), as main_dino.py saves it
    p.str('args').global('argparse', 'Namespace').op(0x29, 0x81, 0x7d).str('arch').str('vit_small').op(0x73, 0x62);
    const root = readPth(pthZip(p.op(0x75, 0x2e).build(), { 0: bytesOf(new Float32Array([5, 6])) })) as Map<string, unknown>;
    expect(root.get('optimizer')).toEqual(new Map([['param_groups', []]]));
    expect((root.get('args') as PickleObject).state).toEqual(new Map([['arch', 'vit_small']]));
    expect([...pthStateDicts(root).get('model')!.get('w')!.data]).toEqual([5, 6]);
  });

  it('finds data.pkl under any folder name and rejects archives without one', () => {
    const p = new PickleBytes().op(0x80, 2, 0x7d, 0x2e).build();
    expect(readPth(pthZip(p, {}, 'my_weights'))).toEqual(new Map());
    const plainZip = writePth(new Map()).slice();
    const renamed = new TextDecoder('latin1').decode(plainZip).replaceAll('archive/data.pkl', 'archive/data.txt');
    expect(() => readPth(Uint8Array.from(renamed, (c) => c.charCodeAt(0)))).toThrow(/no <folder>\/data.pkl/);
  });

  it('names the legacy (pre-1.6) format and non-zip input', () => {
    expect(() => readPth(Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc]))).toThrow(/legacy \(before torch 1.6\) format/);
    expect(() => readPth(new TextEncoder().encode('hello'))).toThrow(/not a zip archive/);
  });
});

describe('writePth', () => {
  const state: TensorMap = new Map([
    ['a.weight', f32([3, 2])],
    ['a.bias', f32([3], [1, -1, 0.25])],
    ['scalar', f32([], [7])],
    ['labels', { dtype: 'int32', shape: [2], data: Int32Array.from([-4, 100000]) }],
    ['empty', f32([0], [])],
  ]);

  it('round-trips a state dict through readPth', () => {
    const back = pthStateDicts(readPth(writePth(state))).get('')!;
    expect([...back.keys()]).toEqual([...state.keys()]);
    expect(firstDifference(state, back)).toBeNull();
  });

  it('writes the torch.save container: folder, byteorder, version, storages 64-byte aligned', () => {
    const bytes = writePth(state, 'backbone');
    const zip = openZip(bytes);
    expect(zip.names).toEqual([
      'backbone/data.pkl', 'backbone/byteorder', 'backbone/data/0', 'backbone/data/1', 'backbone/data/2',
      'backbone/data/3', 'backbone/data/4', 'backbone/version',
    ]);
    expect(new TextDecoder().decode(zip.read('backbone/version'))).toBe('3\n');
    expect(new TextDecoder().decode(zip.read('backbone/byteorder'))).toBe('little');
    // Stored entries are views into the file, so their offsets are visible.
    for (const name of zip.names) expect(zip.read(name).byteOffset % 64, name).toBe(0);
  });

  it('writes a checkpoint dict with nested state dicts and numbers', () => {
    const center = f32([1, 4], [0.1, 0.2, 0.3, 0.4]);
    const file = writePth({ student: state, epoch: 12, lr: 0.5, big: 2 ** 40, dino_loss: new Map([['center', center]]) }, 'checkpoint');
    const root = readPth(file) as Map<string, unknown>;
    expect(root.get('epoch')).toBe(12);
    expect(root.get('lr')).toBe(0.5);
    expect(root.get('big')).toBe(2 ** 40);
    const dicts = pthStateDicts(root);
    expect(firstDifference(state, dicts.get('student')!)).toBeNull();
    expect([...dicts.get('dino_loss')!.get('center')!.data]).toEqual([...center.data]);
  });

  it('re-writes the golden backbone.pth with identical tensors', () => {
    const original = pthStateDicts(readPth(golden('backbone.pth'))).get('')!;
    const back = pthStateDicts(readPth(writePth(original, 'backbone'))).get('')!;
    expect(firstDifference(original, back)).toBeNull();
  });

  it('refuses bad input', () => {
    expect(() => writePth(new Map([['x', { dtype: 'float32', shape: [2], data: new Float32Array(3) }]]))).toThrow(
      /tensor "x" has shape \[2\] but 3 values/,
    );
    expect(() => writePth(new Map(), 'a/b')).toThrow(/bad root folder name/);
  });
});

describe('readPth bounds the work a small file can cause', () => {
  it('refuses a million views of one storage', () => {
    // One 4 KiB storage, viewed whole by 5000 tensors: 20 MB of decoding from a ~300 kB file.
    const p = new PickleBytes().op(0x80, 2, 0x7d, 0x28);
    for (let i = 0; i < 5000; i++) p.str(`t${i}`).tensor('FloatStorage', '0', 1024, 0, [1024], [1]);
    const file = pthZip(p.op(0x75, 0x2e).build(), { 0: new Uint8Array(4096) });
    expect(() => readPth(file)).toThrow(/expands far beyond the size of the file/);
  });

  it('refuses a memoised list handed to OrderedDict() over and over', () => {
    const p = new PickleBytes().op(0x80, 2, 0x5d, 0x71, 0x00, 0x28); // EMPTY_LIST, BINPUT 0, MARK
    for (let i = 0; i < 20000; i++) p.op(0x28).int(i).int(i).op(0x74); // (i, i)
    p.op(0x65, 0x30, 0x5d, 0x28); // APPENDS, POP, EMPTY_LIST, MARK
    for (let i = 0; i < 2000; i++) p.global('collections', 'OrderedDict').op(0x68, 0x00, 0x85, 0x52); // OrderedDict(memo[0])
    const file = pthZip(p.op(0x65, 0x2e).build());
    expect(() => readPth(file)).toThrow(/expands far beyond the size of the file/);
  });
});
