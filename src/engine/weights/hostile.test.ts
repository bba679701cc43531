/**
 * Small hostile files against the weights readers' bounds. Each file is generated here (no attack
 * file is committed), written to a temporary folder, and read by load-in-child.ts in its own Node
 * process the way the worker reads a dropped file; the child reports its parse time (CPU time of
 * the process) and peak memory. The budget: a file of up to 10 MB never takes more than 1 GB or 5 s, and is either
 * loaded with short reports or refused with a WeightsError of at most MAX_MESSAGE characters.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { dinoShapes } from '../../shared/param-shapes';
import { microRunConfig } from '../../shared/micro-config';
import type { TensorMap } from '../../shared/host-tensor';
import { LIST_SHOWN, MAX_ITEM, MAX_MESSAGE } from './errors';
import { readSafetensors, writeSafetensors } from './safetensors';
import { golden } from '../../test-support/weights';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(HERE, 'load-in-child.ts');
const MAX_INPUT_BYTES = 10 * 2 ** 20;
const MAX_PEAK_MB = 1024;
const MAX_MS = 5000;

interface ChildReport {
  result: 'loaded' | 'restored' | 'refused';
  errorName?: string;
  message?: string;
  report?: { unexpected?: string[]; missing?: string[]; nonFinite?: string[] };
  ms: number;
  cpuMs: number;
  baseRssMB: number;
  peakRssMB: number;
}

const dir = mkdtempSync(path.join(tmpdir(), 'hostile-'));

/** Reads `bytes` in a child process; the heap is capped so a runaway parser dies instead of swapping. */
function readInChild(name: string, bytes: Uint8Array, env: Record<string, string> = {}): ChildReport {
  expect(bytes.length).toBeLessThanOrEqual(MAX_INPUT_BYTES);
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  const r = spawnSync(process.execPath, ['--max-old-space-size=2048', '--import', 'tsx', CHILD, file], {
    encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env },
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`${name}: child exited ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(-600)}`);
  return JSON.parse(line) as ChildReport;
}

/** The budget and the shape of the outcome, for any hostile file. */
function expectBounded(name: string, r: ChildReport): void {
  console.log(`${name}: ${r.result} in ${r.cpuMs.toFixed(0)} ms of CPU (${r.ms.toFixed(0)} ms wall), peak ${r.peakRssMB.toFixed(0)} MB (${(r.peakRssMB - r.baseRssMB).toFixed(0)} MB over the baseline)${r.message ? `: ${r.message}` : ''}`);
  // CPU time, not wall time: this machine is shared, and a busy neighbour stretches the wall clock.
  expect(r.cpuMs).toBeLessThan(MAX_MS);
  expect(r.peakRssMB).toBeLessThan(MAX_PEAK_MB);
  if (r.result === 'refused') {
    expect(r.errorName).toBe('WeightsError');
    expect(r.message!.length).toBeLessThanOrEqual(MAX_MESSAGE);
  }
  for (const list of [r.report?.unexpected, r.report?.missing, r.report?.nonFinite]) {
    if (!list) continue;
    expect(list.length).toBeLessThanOrEqual(LIST_SHOWN + 1);
    for (const item of list) expect(item.length).toBeLessThanOrEqual(MAX_ITEM);
  }
}

/** A pickle assembled from parts, for payloads too large for PickleBytes' byte-array building. */
class Pickle {
  private parts: Uint8Array[] = [];
  op(...codes: number[]): this {
    this.parts.push(Uint8Array.from(codes));
    return this;
  }
  u32(op: number, n: number): this {
    return this.op(op, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff);
  }
  str(s: string | Uint8Array): this {
    const utf8 = typeof s === 'string' ? new TextEncoder().encode(s) : s;
    this.u32(0x58, utf8.length); // BINUNICODE
    this.parts.push(utf8);
    return this;
  }
  int(n: number): this {
    return this.u32(0x4a, n); // BININT
  }
  put(i: number): this {
    return this.u32(0x72, i); // LONG_BINPUT
  }
  get(i: number): this {
    return this.u32(0x6a, i); // LONG_BINGET
  }
  global(module: string, name: string): this {
    this.parts.push(Uint8Array.from([0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)]));
    return this;
  }
  /** `_rebuild_tensor_v2(('storage', FloatStorage, key, 'cpu', numel), 0, <size>, <stride>, False, OrderedDict())`;
   *  `size` and `stride` push their own values. */
  tensor(key: string, numel: number, size: () => void, stride: () => void): this {
    this.global('torch._utils', '_rebuild_tensor_v2').op(0x28, 0x28).str('storage').global('torch', 'FloatStorage');
    this.str(key).str('cpu').int(numel).op(0x74, 0x51).int(0);
    size();
    stride();
    return this.op(0x89).global('collections', 'OrderedDict').op(0x29, 0x52, 0x74, 0x52);
  }
  build(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** A torch.save zip with deflated entries (any zip tool makes these; torch itself stores). */
function deflatedPth(pickle: Uint8Array, storages: Record<string, Uint8Array> = {}): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 | 9 }]> = { 'archive/data.pkl': [pickle, { level: 9 }] };
  for (const [k, v] of Object.entries(storages)) files[`archive/data/${k}`] = [v, { level: 9 }];
  files['archive/version'] = [new TextEncoder().encode('3\n'), { level: 0 }];
  return zipSync(files);
}

const MiB = 2 ** 20;

describe('hostile pickles: memoised payloads, huge messages, deep and cyclic values', () => {
  it('fifteen 1 MiB strings, memoised and used 40 times as keys, then as a tensor key', () => {
    const p = new Pickle().op(0x80, 2, 0x7d, 0x28); // {  (root dict, MARK for SETITEMS)
    p.op(0x28);
    for (let i = 0; i < 15; i++) p.str(new Uint8Array(MiB).fill(0x61 + i)).put(i);
    p.op(0x6c).put(100).op(0x30); // LIST of them, memoised, popped
    for (let r = 0; r < 40; r++) {
      p.get(100).int(r).op(0x86); // key: (the list, r)
      p.op(0x7d).get(r % 15).tensor('0', 1, () => p.op(0x28).int(1).op(0x74), () => p.op(0x28).int(1).op(0x74)).op(0x73); // {1 MiB string: tensor}
    }
    p.op(0x75, 0x2e);
    const bytes = deflatedPth(p.build(), { 0: new Uint8Array(4) });
    expect(bytes.length).toBeLessThan(200_000);
    const r = readInChild('string-bomb.pth', bytes);
    expectBounded('string-bomb.pth', r);
    expect(r.message).toMatch(/state-dict key is 1048576 characters long/);
  });

  it('a tensor whose size is a list of 2000 references to a list of 2000 numbers (a message bomb)', () => {
    const p = new Pickle().op(0x80, 2, 0x7d).str('w');
    p.tensor('0', 1, () => {
      p.op(0x28);
      for (let i = 0; i < 2000; i++) p.int(i);
      p.op(0x6c).put(1).op(0x30, 0x28); // the inner list, memoised and popped; MARK for the size tuple
      for (let i = 0; i < 2000; i++) p.get(1);
      p.op(0x74);
    }, () => p.op(0x28).int(1).op(0x74));
    const r = readInChild('message-bomb.pth', deflatedPth(p.op(0x73, 0x2e).build(), { 0: new Uint8Array(4) }));
    expectBounded('message-bomb.pth', r);
    expect(r.message).toMatch(/bad tensor arguments/);
  });

  it('a cyclic list as a tensor size', () => {
    const p = new Pickle().op(0x80, 2, 0x7d).str('w');
    p.tensor('0', 1, () => p.op(0x5d).put(1).get(1).op(0x61), () => p.op(0x28).int(1).op(0x74)); // l = []; l.append(l)
    const r = readInChild('cyclic-size.pth', deflatedPth(p.op(0x73, 0x2e).build(), { 0: new Uint8Array(4) }));
    expectBounded('cyclic-size.pth', r);
    expect(r.message).toMatch(/bad tensor arguments/);
  });

  it('a 100000-deep list as a dict key, and 100000 nested dicts', () => {
    const deepKey = new Pickle().op(0x80, 2, 0x7d);
    for (let i = 0; i < 100_000; i++) deepKey.op(0x5d); // [[[...]]]: EMPTY_LIST then APPEND inward
    for (let i = 0; i < 99_999; i++) deepKey.op(0x61);
    deepKey.op(0x7d).str('w').tensor('0', 1, () => deepKey.op(0x28).int(1).op(0x74), () => deepKey.op(0x28).int(1).op(0x74)).op(0x73);
    const r1 = readInChild('deep-key.pth', deflatedPth(deepKey.op(0x73, 0x2e).build(), { 0: new Uint8Array(4) }));
    expectBounded('deep-key.pth', r1);

    const nested = new Pickle().op(0x80, 2);
    for (let i = 0; i < 100_000; i++) nested.op(0x7d).str('a');
    nested.op(0x7d).str('w').tensor('0', 1, () => nested.op(0x28).int(1).op(0x74), () => nested.op(0x28).int(1).op(0x74)).op(0x73);
    for (let i = 0; i < 100_000; i++) nested.op(0x73);
    const r2 = readInChild('deep-dicts.pth', deflatedPth(nested.op(0x2e).build(), { 0: new Uint8Array(4) }));
    expectBounded('deep-dicts.pth', r2);
    expect(r2.message).toMatch(/nested more than 32 deep/);
  });
});

describe('a 10 MB file of many entries', () => {
  it('tens of thousands of tensors viewing one storage, in a stored (uncompressed) zip of 10 MB', () => {
    const p = new Pickle().op(0x80, 2, 0x7d, 0x28);
    let n = 0;
    for (; n * 170 < MAX_INPUT_BYTES - 300_000; n++) {
      p.str(`blocks.${n}.norm1.weight`);
      p.tensor('0', 1, () => p.op(0x28).int(1).op(0x74), () => p.op(0x28).int(1).op(0x74));
    }
    const pkl = p.op(0x75, 0x2e).build();
    const bytes = zipSync({ 'archive/data.pkl': [pkl, { level: 0 }], 'archive/data/0': [new Uint8Array(4), { level: 0 }] });
    expect(bytes.length).toBeGreaterThan(8 * MiB);
    const r = readInChild('many-entries.pth', bytes, { NUM_HEADS: '1' });
    expectBounded(`many-entries.pth (${n} tensors, ${(bytes.length / MiB).toFixed(1)} MiB)`, r);
  });
});

describe('zip bombs', () => {
  it('100 MiB of deflated zeros as one storage (a 100 KB file)', () => {
    const n = 25 * MiB; // floats
    const p = new Pickle().op(0x80, 2, 0x7d).str('w');
    p.tensor('0', n, () => p.op(0x28).int(n).op(0x74), () => p.op(0x28).int(1).op(0x74));
    const bytes = deflatedPth(p.op(0x73, 0x2e).build(), { 0: new Uint8Array(4 * n) });
    const r = readInChild('zeros-bomb.pth', bytes);
    expectBounded('zeros-bomb.pth', r);
    // The pickle's work budget sees the 100 MB tensor first; zip.test.ts shows the inflate budget alone.
    expect(r.message).toMatch(/inflate budget|expands far beyond the size of the file/);
  });

  it('30 directory entries pointing at one deflated entry', () => {
    const n = 2 * MiB;
    const p = new Pickle().op(0x80, 2, 0x7d, 0x28);
    for (let i = 0; i < 30; i++) {
      p.str(`w${i}`);
      p.tensor(String(i), n, () => p.op(0x28).int(n).op(0x74), () => p.op(0x28).int(1).op(0x74));
    }
    const zip = deflatedPth(p.op(0x75, 0x2e).build(), { 0: new Uint8Array(4 * n) });
    const bytes = repointEntries(zip, 'archive/data/0', 29);
    const r = readInChild('overlapping.pth', bytes);
    expectBounded('overlapping.pth', r);
    expect(r.message).toMatch(/overlap/);
  });
});

describe('architecture and checkpoint bounds', () => {
  it('one stray tensor blocks.16777215.norm1.weight beside a valid ViT', () => {
    const st = readGoldenBackbone();
    st.set('blocks.16777215.norm1.weight', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
    const r = readInChild('stray-block.safetensors', writeSafetensors(st), { NUM_HEADS: '3' });
    expectBounded('stray-block.safetensors', r);
    expect(r.message).toMatch(/blocks are not numbered 0\.\.2: unexpected block indices 16777215/);
  });

  it('a 100000-deep JSON array as a shape in a safetensors header', () => {
    const json = `{"w":{"dtype":"F32","shape":${'['.repeat(100_000)}${']'.repeat(100_000)},"data_offsets":[0,4]}}`;
    const head = new TextEncoder().encode(json);
    const bytes = new Uint8Array(8 + head.length + 4);
    new DataView(bytes.buffer).setUint32(0, head.length, true);
    bytes.set(head, 8);
    const r = readInChild('deep-header.safetensors', bytes);
    expectBounded('deep-header.safetensors', r);
    expect(r.message).toMatch(/shape .* is not a list of non-negative integers/);
  });

  it('a dinolab checkpoint whose stored config says epochs = 2^31 (refused as user input is)', () => {
    const r = readInChild('epochs.safetensors', checkpointFile({ train: { epochs: 2 ** 31 } }));
    expectBounded('epochs.safetensors', r);
    expect(r.message).toMatch(/stored config is invalid: .*epochs/);
  });

  it('a dinolab checkpoint whose run would have 2^40 steps (its dataset size is stored too)', () => {
    const r = readInChild('steps.safetensors', checkpointFile({ datasetSize: 2 ** 42 }));
    expectBounded('steps.safetensors', r);
    expect(r.message).toMatch(/the stored run has \d+ steps, more than the 4194304/);
  });

  it('a dinolab checkpoint whose stored config is not a valid config, or asks for a model its tensors do not hold', () => {
    const invalid = readInChild('invalid-config.safetensors', checkpointFile({ train: { batchSize: -3 } }));
    expectBounded('invalid-config.safetensors', invalid);
    expect(invalid.message).toMatch(/stored config is invalid: .*batchSize/);
    const huge = readInChild('huge-model.safetensors', checkpointFile({ model: { embedDim: 2048, numHeads: 2 } }));
    expectBounded('huge-model.safetensors', huge);
    expect(huge.message).toMatch(/tensors do not match the stored config/);
  });

  it('restores a well-formed checkpoint in the same path (the bounds refuse only what they must)', () => {
    const r = readInChild('good.safetensors', checkpointFile({}));
    expectBounded('good.safetensors', r);
    expect(r.result).toBe('restored');
  });
});

function readGoldenBackbone(): TensorMap {
  return readSafetensors(golden('backbone.safetensors')).tensors;
}

/** A dinolab checkpoint of the micro config (zeros), with `train` and `model` fields overridden in the stored config. */
function checkpointFile({ train = {}, model = {}, datasetSize = 8 }: { train?: Record<string, number>; model?: Record<string, number>; datasetSize?: number }): Uint8Array {
  const base = microRunConfig();
  const tensors: TensorMap = new Map();
  for (const [name, shape] of dinoShapes(base.model, base.head)) {
    const n = shape.reduce((a, b) => a * b, 1);
    for (const k of [`student.${name}`, `teacher.${name}`, `opt.m.${name}`, `opt.v.${name}`]) {
      tensors.set(k, { dtype: 'float32', shape, data: new Float32Array(n) });
    }
  }
  tensors.set('center', { dtype: 'float32', shape: [1, base.head.outDim], data: new Float32Array(base.head.outDim) });
  const config = { ...base, model: { ...base.model, ...model }, train: { ...base.train, ...train } };
  const meta = { version: 1, config, step: 0, datasetSize, rng: [1, 2, 3, 4], optSteps: {} };
  return writeSafetensors(tensors, { 'dinolab.checkpoint': JSON.stringify(meta), format: 'dinolab-checkpoint' });
}

/**
 * Adds `copies` central-directory entries that point at the local entry of `target` (new names),
 * so many names share one deflated stream.
 */
function repointEntries(zip: Uint8Array, target: string, copies: number): Uint8Array {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  expect(view.getUint32(eocd, true)).toBe(0x06054b50);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  let p = cdOffset;
  let record: Uint8Array | null = null;
  while (p < cdOffset + cdSize) {
    const nameLen = view.getUint16(p + 28, true);
    const len = 46 + nameLen + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
    if (new TextDecoder().decode(zip.subarray(p + 46, p + 46 + nameLen)) === target) record = zip.slice(p, p + len);
    p += len;
  }
  if (!record) throw new Error(`no entry ${target}`);
  const extra: Uint8Array[] = [];
  for (let i = 1; i <= copies; i++) {
    const name = new TextEncoder().encode(`archive/data/${i}`);
    const r = new Uint8Array(46 + name.length);
    r.set(record.subarray(0, 46));
    new DataView(r.buffer).setUint16(28, name.length, true);
    new DataView(r.buffer).setUint16(30, 0, true);
    new DataView(r.buffer).setUint16(32, 0, true);
    r.set(name, 46);
    extra.push(r);
  }
  const added = extra.reduce((n, r) => n + r.length, 0);
  const out = new Uint8Array(zip.length + added);
  out.set(zip.subarray(0, cdOffset + cdSize));
  let at = cdOffset + cdSize;
  for (const r of extra) {
    out.set(r, at);
    at += r.length;
  }
  out.set(zip.subarray(eocd), at);
  const ov = new DataView(out.buffer);
  ov.setUint16(at + 8, view.getUint16(eocd + 8, true) + copies, true);
  ov.setUint16(at + 10, view.getUint16(eocd + 10, true) + copies, true);
  ov.setUint32(at + 12, cdSize + added, true);
  return out;
}
