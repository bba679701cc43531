/**
 * Test-only helpers for the weights readers (Node): the golden case files, tensor comparison, and
 * a tiny pickle assembler for hand-made (hostile) pickles. Product code never imports
 * src/test-support (src/architecture.test.ts fails if it does).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { goldenCaseDirs } from '../conformance/golden-dirs';
import type { HostTensor, TensorMap } from '../shared/host-tensor';
import { writeZip } from '../engine/weights/zip';

/** A golden case directory (found by golden-dirs.ts; vit-p8-tiny when present). Throws, never skips, when none exists. */
export function goldenDir(): string {
  const dirs = goldenCaseDirs();
  return dirs.find((d) => path.basename(d) === 'vit-p8-tiny') ?? dirs[0];
}

export function golden(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(goldenDir(), name)));
}

/** Index of the first difference between two tensor maps over `names`, or null when identical. */
export function firstDifference(a: TensorMap, b: TensorMap, names: Iterable<string> = a.keys()): string | null {
  for (const n of names) {
    const x = a.get(n);
    const y = b.get(n);
    if (!x || !y) return `${n}: missing on one side`;
    if (!sameTensor(x, y)) return `${n}: differs`;
  }
  return null;
}

export function sameTensor(x: HostTensor, y: HostTensor): boolean {
  return (
    x.dtype === y.dtype && x.shape.join() === y.shape.join() && x.data.length === y.data.length &&
    x.data.every((v, i) => Object.is(v, y.data[i]))
  );
}

export function f32(shape: number[], values?: number[]): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float32Array.from(values ?? Array.from({ length: n }, (_, i) => i * 0.5 - 1)) };
}

/** Assembles pickle bytes opcode by opcode. */
export class PickleBytes {
  private bytes: number[] = [];
  op(...codes: number[]): this {
    this.bytes.push(...codes);
    return this;
  }
  str(s: string): this {
    const utf8 = new TextEncoder().encode(s);
    return this.op(0x58, utf8.length & 0xff, (utf8.length >> 8) & 0xff, 0, 0, ...utf8); // BINUNICODE
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)); // GLOBAL
  }
  int(n: number): this {
    return this.op(0x4a, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff); // BININT
  }
  /** `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())` */
  tensor(storageType: string, key: string, numel: number, offset: number, size: number[], stride: number[]): this {
    this.global('torch._utils', '_rebuild_tensor_v2').op(0x28, 0x28).str('storage').global('torch', storageType);
    this.str(key).str('cpu').int(numel).op(0x74, 0x51).int(offset);
    this.op(0x28);
    size.forEach((s) => this.int(s));
    this.op(0x74, 0x28);
    stride.forEach((s) => this.int(s));
    this.op(0x74, 0x89).global('collections', 'OrderedDict').op(0x29, 0x52, 0x74, 0x52);
    return this;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** A torch.save-shaped zip around a pickle and raw storages (`<folder>/data/<key>`). */
export function pthZip(pickle: Uint8Array, storages: Record<string, Uint8Array> = {}, folder = 'archive'): Uint8Array {
  return writeZip([
    { name: `${folder}/data.pkl`, data: pickle },
    ...Object.entries(storages).map(([key, data]) => ({ name: `${folder}/data/${key}`, data })),
    { name: `${folder}/version`, data: new TextEncoder().encode('3\n') },
  ]);
}

export function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
}
