/**
 * The compute device the worker runs on: which tfjs backend was chosen and why, watching a GPU
 * device for loss, and starting a backend again after a loss (a fresh WebGPU device, wasm after a
 * second loss) or after the wasm heap ran out (a fresh heap). What happens to the run meanwhile is
 * the session's business.
 */
import type { BackendChoice, BackendInfo } from '../shared/protocol';
import { resetBackend, selectBackend, watchDeviceLoss, type BackendOptions, type DeviceLoss } from '../engine/backend';

/** DeviceLoss reason for a wasm module that aborted because its heap ran out. */
export const WASM_ABORT = 'wasm-abort';

export class Device {
  private current: BackendInfo | null = null;
  /** The backend the person asked for, used again after a device loss. */
  private choice: BackendChoice = 'auto';
  /** Bumped on every switch: a loss notice from an older device is ignored. */
  private generation = 0;
  private losses = 0;
  /** The current device's loss notice (null when the backend has no GPU device). */
  private lost: Promise<DeviceLoss> | null = null;

  constructor(
    private readonly options: BackendOptions,
    /** Resolves when the current backend's GPU device is lost (null when there is none to lose). */
    private readonly watch: () => Promise<DeviceLoss> | null = watchDeviceLoss,
    /** Told of the current device's loss (once per device). */
    private readonly onLost: (loss: DeviceLoss) => void = () => undefined,
  ) {}

  /** The backend in use; null before the first `select`. */
  get info(): BackendInfo | null {
    return this.current;
  }

  get name(): string {
    return this.current?.name ?? '';
  }

  /** Activates the backend for `choice` (remembered for recoveries) and watches its device. */
  async select(choice: BackendChoice): Promise<BackendInfo> {
    this.choice = choice;
    this.current = await selectBackend(choice, this.options);
    this.watchCurrent();
    return this.current;
  }

  /** Stops listening to the current device (its loss is being handled). */
  forget(): void {
    this.generation++;
  }

  /**
   * Starts a backend again after `loss`: wasm with a fresh heap after a heap abort, else the
   * person's choice with a fresh device, or wasm once a GPU device was lost twice. The returned
   * info's reason says what happened.
   */
  async restart(loss: DeviceLoss, what: string): Promise<BackendInfo> {
    const heap = loss.reason === WASM_ABORT;
    if (!heap) this.losses++;
    this.forget();
    resetBackend(heap ? 'wasm' : 'webgpu');
    const choice: BackendChoice = heap || this.losses >= 2 ? 'wasm' : this.choice;
    const info = await selectBackend(choice, this.options);
    const second = this.losses >= 2 ? ' (second loss: WebGPU is not used again in this session)' : '';
    this.current = { ...info, reason: `${what}; now ${info.name}: ${info.reason}${second}` };
    this.watchCurrent();
    return this.current;
  }

  /** True when the current device reports its loss within `ms`. */
  async lostWithin(ms: number): Promise<boolean> {
    if (!this.lost) return false;
    const timeout = new Promise<null>((r) => setTimeout(() => r(null), ms));
    return (await Promise.race([this.lost, timeout])) !== null;
  }

  private watchCurrent(): void {
    const generation = ++this.generation;
    const lost = this.watch();
    this.lost = lost;
    lost?.then((loss) => {
      if (generation === this.generation) this.onLost(loss);
    });
  }
}
