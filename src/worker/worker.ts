/// <reference lib="webworker" />
/** The training worker's entry: the message loop of entry.ts around one Session. */
import { startWorker } from './entry';

startWorker(self as unknown as DedicatedWorkerGlobalScope);
