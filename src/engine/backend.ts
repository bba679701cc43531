/**
 * The one module that touches the tfjs runtime backend: registration, selection and why.
 *
 * Policy (measured on machines without a GPU, see shared/ENVIRONMENT.md): a real WebGPU adapter ->
 * webgpu; a software/fallback adapter (SwiftShader) emulates the GPU on the CPU and is ~70x slower
 * than wasm, so prefer wasm (multi-threaded when the page is cross-origin isolated); then webgl;
 * then plain-JS cpu. A person (or a test) can force any backend.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice, BackendInfo, BackendName } from '../shared/protocol';
import { installWasmKernels, wasmKernelThreads } from './kernels/wasm-kernels';
import { clearPosEmbedCache } from './pos-embed';
import { installWebGPUKernels } from './webgpu/kernels';

interface WebGPUProbe {
  available: boolean;
  /** adapter.info.architecture / vendor / description, e.g. "swiftshader". */
  adapter?: string;
  software: boolean;
  reason?: string;
}

/** Asks the browser for a WebGPU adapter without creating a device. */
async function probeWebGPU(): Promise<WebGPUProbe> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return { available: false, software: false, reason: 'this browser exposes no WebGPU (navigator.gpu is missing)' };
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { available: false, software: false, reason: 'the browser returned no WebGPU adapter' };
    const info = adapter.info;
    const name = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ').trim() || 'unknown adapter';
    const software =
      (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
      /swiftshader|llvmpipe|software|basic render/i.test(name);
    return { available: true, adapter: name, software };
  } catch (e) {
    return { available: false, software: false, reason: `requesting a WebGPU adapter failed: ${(e as Error).message}` };
  }
}

export interface BackendOptions {
  /** Where the wasm binaries are served (browser builds); Node finds them itself. */
  wasmPaths?: Record<string, string> | string;
  /** Cross-origin isolated pages can run wasm with threads. */
  crossOriginIsolated?: boolean;
}

/** Switches tfjs to `name`; throws with the reason when that backend cannot start here. */
export async function activateBackend(name: BackendName, opts: BackendOptions = {}): Promise<number | undefined> {
  let threads: number | undefined;
  if (name === 'wasm') {
    if (opts.wasmPaths) setWasmPaths(opts.wasmPaths as string);
    const cores = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ?? 1;
    threads = opts.crossOriginIsolated ? Math.max(1, Math.min(cores, 8)) : 1;
    if (opts.crossOriginIsolated) setThreadsCount(threads);
  }
  if (name === 'webgpu') {
    // The profiling tool creates a DOM canvas and throws inside a worker.
    tf.env().set('WEBGPU_USE_PROFILE_TOOL', false);
  }
  if (tf.getBackend() !== name) {
    clearPosEmbedCache();
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`the ${name} backend could not be initialised in this browser`);
    await tf.ready();
  }
  // tfjs 4.22 caps its own pool at half of navigator.hardwareConcurrency (1 thread on 2 cores); the
  // count reported is the one dinolab's kernels, which do the heavy work, actually run with.
  if (name === 'wasm') {
    await installWasmKernels(threads);
    return wasmKernelThreads();
  }
  if (name === 'webgpu') installWebGPUKernels();
  return threads;
}

/** Picks and activates a backend for `choice`, trying the next one when a backend fails to start. */
export async function selectBackend(choice: BackendChoice, opts: BackendOptions = {}): Promise<BackendInfo> {
  const probe = await probeWebGPU();
  const attempts: { name: BackendName; reason: string }[] = [];
  if (choice !== 'auto') {
    attempts.push({ name: choice, reason: `chosen by you${probe.adapter ? ` (WebGPU adapter: ${probe.adapter})` : ''}` });
  } else if (probe.available && !probe.software) {
    attempts.push({ name: 'webgpu', reason: `hardware WebGPU adapter found (${probe.adapter})` });
  } else if (probe.available && probe.software) {
    attempts.push({
      name: 'wasm',
      reason: `the WebGPU adapter is a software emulation (${probe.adapter}); WebAssembly is much faster here`,
    });
  } else {
    attempts.push({ name: 'wasm', reason: `no WebGPU: ${probe.reason}` });
  }
  for (const fallback of ['wasm', 'webgl', 'cpu'] as BackendName[]) {
    if (!attempts.some((a) => a.name === fallback)) attempts.push({ name: fallback, reason: 'fallback' });
  }
  const failures: string[] = [];
  for (const a of attempts) {
    try {
      const threads = await activateBackend(a.name, opts);
      const reason = failures.length ? `${a.reason}; ${failures.join('; ')}` : a.reason;
      return { name: a.name, reason, adapter: probe.adapter, threads };
    } catch (e) {
      failures.push(`${a.name} failed: ${(e as Error).message}`);
    }
  }
  throw new Error(`no tfjs backend could start: ${failures.join('; ')}`);
}

/** Live tensors and bytes on the device (for the memory chart and leak tests); zeros while no
 *  backend is running (between a lost device and its restart). */
export function deviceMemory(): { numTensors: number; numBytes: number } {
  if (!tf.engine().backendName) return { numTensors: 0, numBytes: 0 };
  const m = tf.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes };
}

/** Why a WebGPU device went away (GPUDeviceLostInfo, as plain data). */
export interface DeviceLoss {
  reason: string;
  message: string;
}

/**
 * Resolves when the WebGPU device tfjs runs on is lost (driver reset, GPU process crash, the
 * browser reclaiming it); null when the current backend is not WebGPU.
 */
export function watchDeviceLoss(): Promise<DeviceLoss> | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ reason?: string; message?: string }> } }).device;
  if (!device?.lost) return null;
  return device.lost.then((info) => ({ reason: info.reason ?? 'unknown', message: info.message ?? '' }));
}

/**
 * Forgets a dead backend and registers its factory again, so its next use starts a fresh one: a
 * new device for a lost WebGPU one, a new heap for a wasm module that aborted (its heap ran out).
 */
export function resetBackend(name: 'webgpu' | 'wasm'): void {
  const factory = tf.findBackendFactory(name);
  if (!factory) return;
  // Cached tensors first, while their backend can still free them.
  clearPosEmbedCache();
  try {
    tf.removeBackend(name);
  } catch {
    // Disposing a backend whose device is gone may throw before the registry forgets it: drop the
    // entries by hand (the fields are public in tfjs-core's Engine) so the factory runs again.
    const engine = tf.engine() as unknown as {
      registry: Record<string, unknown>;
      registryFactory: Record<string, unknown>;
      backendName: string | null;
      backendInstance: unknown;
      pendingBackendInit: unknown;
    };
    delete engine.registry[name];
    delete engine.registryFactory[name];
    if (engine.backendName === name) {
      engine.backendName = null;
      engine.backendInstance = null;
      engine.pendingBackendInit = null;
    }
  }
  tf.registerBackend(name, factory, name === 'webgpu' ? 3 : 2);
}

/** True when `e` says the wasm module aborted (out of memory): every later call into it fails. */
export function isWasmAbort(e: unknown): boolean {
  return /Aborted\(|memory access out of bounds|out of wasm memory|Cannot enlarge memory/i.test(String((e as Error)?.message ?? e));
}
