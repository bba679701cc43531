/**
 * npm run conformance -- [<case-dir> ...] [--backend cpu,wasm] [--only forward,train]
 *
 * With no case directory it runs every case that golden-dirs.ts finds ($GOLDEN_DIR, else the
 * repository's test-data/golden* plus ../shared/golden* when that exists).
 * Checks golden cases (outputs of the official PyTorch DINO code) against the engine, one line per
 * check with its max abs / relative error and tolerance; exits 1 when any check fails.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { activateBackend } from '../engine/backend';
import type { BackendName } from '../shared/protocol';
import { formatCheck } from './compare';
import { ALL_GROUPS, runGoldenCase, type CheckGroup } from './golden-case';
import { DINO_GOLDEN_FORMAT, findCases, goldenRoots } from './golden-dirs';
import { runSeedEvalCase, SEED_EVAL_FORMAT } from './seed-eval-case';

/** Where a seed-eval case's photos may be: beside it, in ../samples or ../../samples, or the app's own copies. */
async function readPhoto(caseDir: string, name: string): Promise<Uint8Array> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dirs = [caseDir, path.join(caseDir, '../samples'), path.join(caseDir, '../../samples'), path.resolve(here, '../../public/samples')];
  for (const d of dirs) {
    const p = path.join(d, name);
    if (existsSync(p)) return new Uint8Array(await readFile(p));
  }
  throw new Error(`photo ${name} not found in ${dirs.join(', ')}`);
}

/** Runs the seed-eval cases (plain TypeScript, so once, not per backend); returns [total, failed]. */
async function runSeedEvalCases(dirs: string[]): Promise<[number, number]> {
  let total = 0;
  let failed = 0;
  for (const dir of dirs) {
    const caseName = path.basename(path.resolve(dir));
    console.log(`\n== case ${caseName} (${SEED_EVAL_FORMAT}; plain TypeScript, no tfjs backend) ==`);
    const t0 = Date.now();
    try {
      const results = await runSeedEvalCase({
        file: (name) => readFile(path.join(dir, name)).then((b) => new Uint8Array(b)),
        photo: (name) => readPhoto(dir, name),
      });
      for (const r of results) {
        console.log(formatCheck(r));
        if (r.info) continue;
        total++;
        if (!r.pass) failed++;
      }
    } catch (e) {
      total++;
      failed++;
      console.log(`FAIL  ${caseName}: ${(e as Error).stack ?? e}`);
    }
    console.log(`-- ${caseName}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return [total, failed];
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const dirs: string[] = [];
  let backends: BackendName[] = ['cpu', 'wasm'];
  let groups: CheckGroup[] = ALL_GROUPS;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--backend') backends = args[++i].split(',') as BackendName[];
    else if (args[i] === '--only') groups = args[++i].split(',') as CheckGroup[];
    else if (args[i] === '--help' || args[i] === '-h') {
      console.log('usage: npm run conformance -- <case-dir> [...] [--backend cpu,wasm] [--only weights,forward,train,knn,schedules]');
      return 0;
    } else dirs.push(args[i]);
  }
  if (dirs.length === 0) {
    const found = findCases();
    if (found.length === 0) {
      console.error(`conformance: no case found under ${goldenRoots().join(', ')}; give case directories or set GOLDEN_DIR`);
      return 2;
    }
    console.log(`cases: ${found.map((c) => `${c.name} (${path.relative(process.cwd(), c.dir) || c.dir})`).join(', ')}`);
    dirs.push(...found.map((c) => c.dir));
  }
  // A shell glob like ../shared/golden/* also matches the README: skip plain files, not directories.
  const caseDirs = dirs.filter((d) => {
    const isFile = statSync(d, { throwIfNoEntry: false })?.isFile() ?? false;
    if (isFile) console.log(`skipping ${d}: a file, not a case directory`);
    return !isFile;
  });
  for (const g of groups) if (!ALL_GROUPS.includes(g)) throw new Error(`unknown check group ${g}; known: ${ALL_GROUPS.join(', ')}`);
  // Cases are told apart by their manifest's format; the seed-eval ones need no backend.
  const formatOf = (d: string): unknown => {
    try {
      return JSON.parse(readFileSync(path.join(d, 'manifest.json'), 'utf8')).format;
    } catch {
      return undefined;
    }
  };
  const evalDirs = caseDirs.filter((d) => formatOf(d) === SEED_EVAL_FORMAT);
  const modelDirs = caseDirs.filter((d) => formatOf(d) !== SEED_EVAL_FORMAT);
  let [total, failed] = await runSeedEvalCases(evalDirs);
  for (const backend of modelDirs.length ? backends : []) {
    await activateBackend(backend);
    for (const dir of modelDirs) {
      const caseName = path.basename(path.resolve(dir));
      console.log(`\n== case ${caseName} on ${tf.getBackend()} ==`);
      const t0 = Date.now();
      try {
        const format = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')).format;
        if (format !== DINO_GOLDEN_FORMAT) throw new Error(`unknown case format ${JSON.stringify(format)} in ${dir}/manifest.json (known: ${DINO_GOLDEN_FORMAT}, ${SEED_EVAL_FORMAT})`);
        const results = await runGoldenCase((name) => readFile(path.join(dir, name)).then((b) => new Uint8Array(b)), { groups });
        for (const r of results) {
          console.log(formatCheck(r));
          total++;
          if (!r.pass) failed++;
        }
      } catch (e) {
        total++;
        failed++;
        console.log(`FAIL  ${caseName}: ${(e as Error).stack ?? e}`);
      }
      console.log(`-- ${caseName} on ${backend}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  console.log(`\nconformance: ${total - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`conformance: ${(e as Error).message}`);
    process.exit(2);
  },
);
