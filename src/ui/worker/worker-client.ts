/**
 * The one object on the main thread that owns the training worker. It starts the worker lazily on
 * the first command, posts typed commands (typed arrays transferred), turns request/response
 * commands into promises matched by `requestId`, and hands every event to the store.
 */
import { transferables, type WorkerCommand, type WorkerEvent } from '../../shared/protocol';
import { applyEvent } from './events';

/** The part of `Worker` the client uses (a fake can stand in for it in tests). */
export interface WorkerLike {
  postMessage(message: WorkerCommand, transfer: Transferable[]): void;
  onmessage: ((ev: MessageEvent<WorkerEvent>) => void) | null;
  onerror: ((ev: ErrorEvent) => void) | null;
  onmessageerror: ((ev: MessageEvent) => void) | null;
  terminate(): void;
}

type Answered = Extract<WorkerCommand, { requestId: number }>;
type Fire = Exclude<WorkerCommand, Answered>;
type AnsweredType = Answered['type'];

/** The events that answer each request. A dropped dinolab checkpoint restores the run, so
 *  `loadWeights` can be answered by `restored`. */
const REPLY = {
  loadWeights: ['weightsLoaded', 'restored'],
  acceptWeights: ['weightsLoaded'],
  saveCheckpoint: ['checkpoint'],
  restoreCheckpoint: ['restored'],
  exportWeights: ['exported'],
  attention: ['attention'],
  augmentPreview: ['augmentPreview'],
  knn: ['knn'],
  extractFeatures: ['features'],
  evalKnn: ['evalKnn'],
  embed: ['embedding'],
  neighbors: ['neighbors'],
  patchViews: ['patchViews'],
} as const satisfies Record<AnsweredType, readonly WorkerEvent['type'][]>;

export type Reply<T extends AnsweredType> = Extract<WorkerEvent, { type: (typeof REPLY)[T][number] }>;
type RequestOf<T extends AnsweredType> = Omit<Extract<Answered, { type: T }>, 'requestId'>;

interface Pending {
  expect: readonly WorkerEvent['type'][];
  resolve: (e: WorkerEvent) => void;
  reject: (e: Error) => void;
}

/** Called for every event; `answered` is true when the event settled a pending request. */
export type EventSink = (event: WorkerEvent, answered: boolean) => void;

export class WorkerClient {
  private worker: WorkerLike | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();

  constructor(
    private readonly spawn: () => WorkerLike,
    private readonly onEvent: EventSink,
  ) {}

  get started(): boolean {
    return this.worker !== null;
  }

  /** Post a command that expects no answer. */
  send(cmd: Fire): void {
    this.post(cmd);
  }

  /** Post a command and wait for the event that answers it (rejects on its `error` event). */
  request<T extends AnsweredType>(cmd: RequestOf<T>): Promise<Reply<T>> {
    const requestId = this.nextId++;
    const full = { ...cmd, requestId } as unknown as Answered;
    return new Promise<Reply<T>>((resolve, reject) => {
      this.pending.set(requestId, {
        expect: REPLY[full.type],
        resolve: resolve as (e: WorkerEvent) => void,
        reject,
      });
      try {
        this.post(full);
      } catch (e) {
        this.pending.delete(requestId);
        reject(e as Error);
      }
    });
  }

  /** Stop the worker; pending requests fail. The next command starts a fresh one. */
  terminate(reason = 'The worker was stopped'): void {
    this.worker?.terminate();
    this.worker = null;
    this.failAll(reason);
  }

  private post(cmd: WorkerCommand): void {
    this.ensure().postMessage(cmd, transferables(cmd));
  }

  private ensure(): WorkerLike {
    if (this.worker) return this.worker;
    const w = this.spawn();
    let alive = false;
    w.onmessage = (ev) => {
      alive = true;
      this.receive(ev.data);
    };
    w.onerror = (ev) => {
      ev.preventDefault?.();
      // Before its first message the worker failed to load or start: nothing will answer.
      // Afterwards an uncaught error does not end the worker, so its requests stay pending.
      const message = alive
        ? `The training worker reported an uncaught error: ${ev.message || 'no details'}`
        : `The training worker failed to start: ${ev.message || 'its script could not be loaded'}`;
      if (!alive) this.failAll(message);
      this.onEvent({ type: 'error', message }, false);
    };
    w.onmessageerror = () => this.onEvent({ type: 'error', message: 'A message from the worker could not be read' }, false);
    this.worker = w;
    return w;
  }

  private receive(event: WorkerEvent): void {
    const id = 'requestId' in event ? event.requestId : undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    const settles = p !== undefined && (event.type === 'error' || p.expect.includes(event.type));
    if (settles) {
      this.pending.delete(id!);
      if (event.type === 'error') p.reject(new Error(event.message));
      else p.resolve(event);
    }
    this.onEvent(event, settles);
  }

  private failAll(message: string): void {
    for (const p of this.pending.values()) p.reject(new Error(message));
    this.pending.clear();
  }
}

/** The app's client: the real worker, events into the store. */
export const client = new WorkerClient(
  () => new Worker(new URL('../../worker/worker.ts', import.meta.url), { type: 'module' }) as unknown as WorkerLike,
  applyEvent,
);
