import { describe, expect, it } from 'vitest';
import type { WorkerCommand, WorkerEvent } from '../../shared/protocol';
import { WorkerClient, type WorkerLike } from './worker-client';

/** Records posted commands; `emit` plays the worker's side. */
class FakeWorker implements WorkerLike {
  posted: { msg: WorkerCommand; transfer: Transferable[] }[] = [];
  onmessage: ((ev: MessageEvent<WorkerEvent>) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  onmessageerror: ((ev: MessageEvent) => void) | null = null;
  terminated = false;
  postMessage(msg: WorkerCommand, transfer: Transferable[]): void {
    this.posted.push({ msg, transfer });
  }
  terminate(): void {
    this.terminated = true;
  }
  emit(e: WorkerEvent): void {
    this.onmessage?.({ data: e } as MessageEvent<WorkerEvent>);
  }
}

function setup() {
  const workers: FakeWorker[] = [];
  const events: [WorkerEvent, boolean][] = [];
  const client = new WorkerClient(
    () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    (e, answered) => events.push([e, answered]),
  );
  return { client, workers, events };
}

describe('WorkerClient', () => {
  it('starts the worker lazily on the first command', () => {
    const { client, workers } = setup();
    expect(client.started).toBe(false);
    client.send({ type: 'init', backend: 'auto' });
    client.send({ type: 'pause' });
    expect(workers.length).toBe(1);
    expect(workers[0].posted.map((p) => p.msg.type)).toEqual(['init', 'pause']);
  });

  it('transfers the typed arrays of a command', () => {
    const { client, workers } = setup();
    const pixels = new Uint8Array(12);
    client.send({ type: 'loadImages', replace: true, images: [{ id: 'a', label: null, width: 2, height: 2, pixels }] });
    expect(workers[0].posted[0].transfer).toEqual([pixels.buffer]);
  });

  it('resolves a request with the event carrying its requestId', async () => {
    const { client, workers, events } = setup();
    const first = client.request<'saveCheckpoint'>({ type: 'saveCheckpoint' });
    const second = client.request<'saveCheckpoint'>({ type: 'saveCheckpoint' });
    const [a, b] = workers[0].posted.map((p) => p.msg as Extract<WorkerCommand, { type: 'saveCheckpoint' }>);
    expect(a.requestId).not.toBe(b.requestId);
    workers[0].emit({ type: 'checkpoint', requestId: b.requestId, bytes: new ArrayBuffer(2), fileName: 'two.ckpt' });
    workers[0].emit({ type: 'checkpoint', requestId: a.requestId, bytes: new ArrayBuffer(1), fileName: 'one.ckpt' });
    expect((await first).fileName).toBe('one.ckpt');
    expect((await second).fileName).toBe('two.ckpt');
    expect(events.map(([e, answered]) => [e.type, answered])).toEqual([
      ['checkpoint', true],
      ['checkpoint', true],
    ]);
  });

  it('rejects a request with the message of its error event', async () => {
    const { client, workers, events } = setup();
    const p = client.request<'loadWeights'>({ type: 'loadWeights', fileName: 'x.pth', bytes: new ArrayBuffer(4) });
    const id = (workers[0].posted[0].msg as { requestId: number }).requestId;
    workers[0].emit({ type: 'error', requestId: id, message: 'x.pth: not a ViT checkpoint' });
    await expect(p).rejects.toThrow('x.pth: not a ViT checkpoint');
    expect(events[0]).toEqual([{ type: 'error', requestId: id, message: 'x.pth: not a ViT checkpoint' }, true]);
  });

  it('accepts a restored run as the answer to loadWeights (a dropped dinolab checkpoint)', async () => {
    const { client, workers } = setup();
    const p = client.request<'loadWeights'>({ type: 'loadWeights', fileName: 'run.safetensors', bytes: new ArrayBuffer(4) });
    const id = (workers[0].posted[0].msg as { requestId: number }).requestId;
    workers[0].emit({ type: 'restored', requestId: id, step: 40 });
    expect(await p).toEqual({ type: 'restored', requestId: id, step: 40 });
  });

  it('keeps requests pending after an uncaught error of a running worker', async () => {
    const { client, workers, events } = setup();
    client.send({ type: 'init', backend: 'auto' });
    workers[0].emit({ type: 'ready', backend: { name: 'wasm', reason: 'test' } });
    const p = client.request<'knn'>({ type: 'knn', k: 20, temperature: 0.07 });
    workers[0].onerror?.({ message: 'oops', preventDefault() {} } as ErrorEvent);
    expect(events[1][0]).toEqual({ type: 'error', message: 'The training worker reported an uncaught error: oops' });
    const id = (workers[0].posted[1].msg as { requestId: number }).requestId;
    workers[0].emit({ type: 'knn', requestId: id, top1: 80, top5: 97, nTrain: 800, nTest: 200, model: 'run at step 3' });
    expect((await p).top1).toBe(80);
  });

  it('passes unsolicited events on as unanswered', () => {
    const { client, workers, events } = setup();
    client.send({ type: 'init', backend: 'wasm' });
    workers[0].emit({ type: 'restored', requestId: -1, step: 120 });
    expect(events).toEqual([[{ type: 'restored', requestId: -1, step: 120 }, false]]);
  });

  it('fails pending requests when the worker cannot start, and restarts on the next command', async () => {
    const { client, workers, events } = setup();
    const p = client.request<'knn'>({ type: 'knn', k: 20, temperature: 0.07 });
    workers[0].onerror?.({ message: 'SyntaxError: bad module', preventDefault() {} } as ErrorEvent);
    await expect(p).rejects.toThrow('The training worker failed to start: SyntaxError: bad module');
    expect(events[0][0]).toEqual({ type: 'error', message: 'The training worker failed to start: SyntaxError: bad module' });
    client.terminate();
    client.send({ type: 'init', backend: 'auto' });
    expect(workers.length).toBe(2);
  });
});
