/**
 * Test tool (Node): reads one weights file the way the worker does when a person drops it on the
 * Weights tab (a dinolab checkpoint restores the run, anything else goes to loadWeights and every
 * tensor is decoded) and prints one JSON line: the outcome, the parse time (wall clock and CPU time
 * of the process; on a shared machine the CPU time is what the file costs) and the process's peak
 * memory. Run in a child process per file, so each file's peak is its own:
 *
 *   node --import tsx src/engine/weights/load-in-child.ts <file>
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

async function main(): Promise<void> {
  const file = process.argv[2];
  // Imports first, so their memory is in the baseline, not charged to the file.
  const [{ isCheckpoint, restoreCheckpoint }, { loadWeights }, tf] = await Promise.all([
    import('../checkpoint'),
    import('./layouts'),
    import('@tensorflow/tfjs'),
  ]);
  await tf.setBackend('cpu');
  const bytes = new Uint8Array(readFileSync(file));
  const baseRssMB = process.resourceUsage().maxRSS / 1024;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let outcome: { result: string; errorName?: string; message?: string; report?: unknown };
  try {
    if (isCheckpoint(bytes)) {
      const r = restoreCheckpoint(bytes);
      outcome = { result: 'restored', report: { step: r.run.step } };
      r.run.dispose();
    } else {
      const w = loadWeights(path.basename(file), bytes, { numHeads: Number(process.env.NUM_HEADS ?? 0) || undefined });
      let values = 0;
      for (const net of w.networks ? Object.values(w.networks) : [w]) {
        for (const t of [...net.backbone.values(), ...(net.head?.values() ?? [])]) values += t.data.length;
      }
      outcome = { result: 'loaded', report: { layout: w.layout, values, unexpected: w.unexpected, missing: w.missing, nonFinite: w.nonFinite } };
    }
  } catch (e) {
    outcome = { result: 'refused', errorName: (e as Error).name, message: (e as Error).message };
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ ...outcome, ms, cpuMs, baseRssMB, peakRssMB }));
}

void main();
