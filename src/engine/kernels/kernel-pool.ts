/**
 * Runs kernels.c inside tfjs-backend-wasm's linear memory, on this thread plus, where that memory is
 * shared (the multi-threaded tfjs build, in a cross-origin isolated page), a pool of extra threads.
 *
 * Every kernel splits its job into parts and computes a range of them: a call splits the parts
 * evenly over the threads. The threads wait on a control block in the shared memory
 * (Atomics.wait), so a call costs no message passing: write the arguments, bump the generation,
 * run this thread's share, wait for the others' count to reach zero.
 */
import { kernelsWasm, kernelsWasmRelaxed, kernelsWasmShared, kernelsWasmSharedRelaxed } from './kernels-wasm';

/** The kernels, by the index the pool threads call them with. */
export const KERNELS = ['gemm', 'transpose', 'attention', 'attention_grad', 'layernorm', 'layernorm_grad', 'layernorm_grad_params', 'gelu', 'gelu_grad', 'hue_shift', 'slice', 'column_sums'] as const;
type KernelName = (typeof KERNELS)[number];

interface KernelExports extends Record<KernelName, (...args: number[]) => void> {
  __stack_pointer: WebAssembly.Global;
  gemm_scratch_floats(): number;
  attention_scratch_floats(N: number): number;
}

/** tfjs's allocator (emscripten's malloc/free on the wasm module). */
interface Heap {
  malloc(bytes: number): number;
  free(ptr: number): void;
}

const STACK_BYTES = 64 * 1024;
const MAX_THREADS = 16;
// Control block (int32 slots): generation, pending threads, kernel, parts, argument count,
// float-argument mask, failure flag, arguments from ARGS, per-thread scratch pointers from SCRATCH.
const GEN = 0;
const PENDING = 1;
const FN = 2;
const PARTS = 3;
const NARGS = 4;
const FLOATS = 5;
const FAILED = 6;
const ARGS = 8;
const MAX_ARGS = 24;
const SCRATCH = 32;
const CTRL_SLOTS = SCRATCH + MAX_THREADS;

/** The pool threads' whole program: instantiate the module, then run parts when the generation moves. */
const POOL_THREAD = `
onmessage = async (e) => {
  const { module, memory, ctrl, stack, index, threads, names } = e.data;
  const { exports: k } = await WebAssembly.instantiate(module, { env: { memory } });
  k.__stack_pointer.value = stack;
  const i32 = new Int32Array(memory.buffer, ctrl, ${CTRL_SLOTS});
  const f32 = new Float32Array(memory.buffer, ctrl, ${CTRL_SLOTS});
  postMessage('ready');
  let gen = Atomics.load(i32, ${GEN});
  for (;;) {
    Atomics.wait(i32, ${GEN}, gen);
    gen = Atomics.load(i32, ${GEN});
    const fn = i32[${FN}];
    if (fn < 0) return close();
    try {
      const parts = i32[${PARTS}], n = i32[${NARGS}], mask = i32[${FLOATS}];
      const args = [];
      for (let a = 0; a < n; a++) args.push(mask & (1 << a) ? f32[${ARGS} + a] : i32[${ARGS} + a]);
      const p0 = Math.floor((index * parts) / threads), p1 = Math.floor(((index + 1) * parts) / threads);
      if (p1 > p0) k[names[fn]](...args, p0, p1, i32[${SCRATCH} + index]);
    } catch (err) {
      Atomics.store(i32, ${FAILED}, 1);
    } finally {
      if (Atomics.sub(i32, ${PENDING}, 1) === 1) Atomics.notify(i32, ${PENDING});
    }
  }
};`;

function decode(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export class KernelPool {
  private scratchPtr: number[] = [];
  private scratchFloats = 0;
  private i32: Int32Array | null = null;
  private f32: Float32Array | null = null;

  private constructor(
    private readonly k: KernelExports,
    private readonly heap: Heap,
    private readonly workers: Worker[],
    memory: WebAssembly.Memory,
    ctrl: number,
    private readonly allocations: number[],
    /** The module in use is the relaxed-SIMD build (fused multiply-add in the matrix products). */
    readonly relaxedSimd: boolean,
  ) {
    if (workers.length) {
      this.i32 = new Int32Array(memory.buffer, ctrl, CTRL_SLOTS);
      this.f32 = new Float32Array(memory.buffer, ctrl, CTRL_SLOTS);
    }
  }

  /** Threads that run kernels (this one included). */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Instantiates the kernels on `memory` and, when it is shared and `threads` > 1, starts
   * threads - 1 pool workers (Blob workers, as tfjs's own pthreads are).
   */
  static async create(memory: WebAssembly.Memory, heap: Heap, threads: number, relaxed = false): Promise<KernelPool> {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    // Relaxed SIMD (fused multiply-add in the matrix products) when asked and the engine validates it.
    let bytes = decode(shared ? kernelsWasmSharedRelaxed : kernelsWasmRelaxed);
    const isRelaxed = relaxed && WebAssembly.validate(bytes as BufferSource);
    if (!isRelaxed) bytes = decode(shared ? kernelsWasmShared : kernelsWasm);
    const module = await WebAssembly.compile(bytes as BufferSource);
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const k = instance.exports as unknown as KernelExports;
    const allocations: number[] = [];
    const alloc = (bytes: number) => {
      const p = heap.malloc(bytes);
      if (!p) throw new Error(`out of wasm memory for ${bytes} bytes of kernel stack`);
      allocations.push(p);
      return p;
    };
    k.__stack_pointer.value = (alloc(STACK_BYTES) + STACK_BYTES) & ~15;
    const extra = shared && typeof Worker !== 'undefined' ? Math.max(0, Math.min(threads, MAX_THREADS) - 1) : 0;
    const workers: Worker[] = [];
    let ctrl = 0;
    if (extra > 0) {
      ctrl = alloc(CTRL_SLOTS * 4);
      new Int32Array(memory.buffer, ctrl, CTRL_SLOTS).fill(0);
      const url = URL.createObjectURL(new Blob([POOL_THREAD], { type: 'text/javascript' }));
      try {
        await Promise.all(
          Array.from({ length: extra }, (_, j) => {
            const w = new Worker(url);
            workers.push(w);
            const stack = (alloc(STACK_BYTES) + STACK_BYTES) & ~15;
            return new Promise<void>((resolve, reject) => {
              w.onmessage = () => resolve();
              w.onerror = (e) => reject(new Error(`a kernel thread failed to start: ${e.message}`));
              w.postMessage({ module, memory, ctrl, stack, index: j + 1, threads: extra + 1, names: KERNELS });
            });
          }),
        );
      } catch (e) {
        workers.forEach((w) => w.terminate());
        throw e;
      } finally {
        URL.revokeObjectURL(url);
      }
    }
    return new KernelPool(k, heap, workers, memory, ctrl, allocations, isRelaxed);
  }

  scratchFloatsFor(kind: 'gemm' | 'attention', N = 0): number {
    return kind === 'gemm' ? this.k.gemm_scratch_floats() : this.k.attention_scratch_floats(N);
  }

  /** Makes every thread's scratch hold at least `floats` floats (grows, never shrinks). */
  private ensureScratch(floats: number): void {
    if (this.scratchFloats >= floats) return;
    for (const p of this.scratchPtr) this.heap.free(p);
    this.scratchPtr = [];
    for (let t = 0; t < this.threads; t++) {
      const p = this.heap.malloc(floats * 4);
      if (!p) throw new Error(`out of wasm memory for ${((floats * 4) / 2 ** 20).toFixed(1)} MiB of kernel scratch`);
      this.scratchPtr.push(p);
    }
    this.scratchFloats = floats;
    if (this.i32) this.scratchPtr.forEach((p, t) => (this.i32![SCRATCH + t] = p));
  }

  /**
   * Runs kernel `fn` over `parts` parts: args, then (part0, part1, scratch) per thread. Arguments
   * whose index is in `floatArgs` are passed as f32. `work` (rough flops) below which the call stays
   * on this thread.
   */
  run(fn: KernelName, args: number[], opts: { parts: number; scratchFloats: number; floatArgs?: number[]; work?: number }): void {
    const { parts, scratchFloats } = opts;
    if (scratchFloats > 0) this.ensureScratch(scratchFloats);
    const scratch = this.scratchPtr[0] ?? 0;
    const threads = Math.min(this.threads, parts);
    if (threads <= 1 || !this.i32 || (opts.work ?? Infinity) < 2e5) {
      this.k[fn](...args, 0, parts, scratch);
      return;
    }
    if (args.length > MAX_ARGS) throw new Error(`${fn} has ${args.length} arguments; the pool passes at most ${MAX_ARGS}`);
    const i32 = this.i32;
    const f32 = this.f32!;
    let mask = 0;
    args.forEach((v, a) => {
      if (opts.floatArgs?.includes(a)) {
        f32[ARGS + a] = v;
        mask |= 1 << a;
      } else i32[ARGS + a] = v;
    });
    i32[FN] = KERNELS.indexOf(fn);
    i32[PARTS] = parts;
    i32[NARGS] = args.length;
    i32[FLOATS] = mask;
    i32[FAILED] = 0;
    Atomics.store(i32, PENDING, this.workers.length);
    Atomics.add(i32, GEN, 1);
    Atomics.notify(i32, GEN);
    const all = this.threads;
    const p1 = Math.floor(parts / all);
    try {
      if (p1 > 0) this.k[fn](...args, 0, p1, scratch);
    } finally {
      for (let v = Atomics.load(i32, PENDING); v !== 0; v = Atomics.load(i32, PENDING)) Atomics.wait(i32, PENDING, v);
    }
    if (i32[FAILED]) throw new Error(`the ${fn} kernel failed on a pool thread`);
  }

  /** Stops the pool threads and frees the stacks and scratch. */
  dispose(): void {
    if (this.i32 && this.workers.length) {
      this.i32[FN] = -1;
      Atomics.add(this.i32, GEN, 1);
      Atomics.notify(this.i32, GEN);
    }
    this.workers.forEach((w) => w.terminate());
    try {
      for (const p of [...this.scratchPtr, ...this.allocations]) this.heap.free(p);
    } catch {
      // the heap aborted (ran out of memory): its module, and our blocks in it, are gone
    }
    this.scratchPtr = [];
    this.scratchFloats = 0;
  }
}
