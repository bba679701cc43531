/**
 * Does PyTorch itself read what dinolab writes?
 *
 *   npm run check:torch -- <golden-case-dir> [<golden-case-dir> ...]
 *
 * Needs python3 with torch (Debian: `sudo apt-get install python3-torch`; $PYTHON picks the
 * interpreter), so it is a separate
 * command, not part of `npm test`. For each case it
 *   1. reads the case's torch-written `checkpoint.pth` with dinolab's reader and writes it back out
 *      in every export format (main_dino checkpoint .pth, teacher backbone .pth, teacher + head
 *      safetensors), then has torch.load (the full unpickler and weights_only=True) read them and
 *      compares them tensor by tensor with torch's own reading of the original;
 *   2. trains a small run for two steps in Node, exports it the way the app's Export tab does, and
 *      has torch check the official key layout and that the .pth and safetensors agree.
 * One line per check; exit status 1 if any check fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DinoRun } from '../src/engine/dino-run';
import { ImageStore } from '../src/engine/image-store';
import { loadWeights, toDinolabSafetensors, toOfficialCheckpoint, writePth } from '../src/engine/weights';
import { microRunConfig } from '../src/shared/micro-config';
import { Rng } from '../src/shared/rng';
import { exportRun } from '../src/worker/export';

const PYTHON = String.raw`
import json, struct, sys
import numpy as np
import torch

failed = 0
def check(name, ok, detail=''):
    global failed
    print(('PASS  ' if ok else 'FAIL  ') + name + ('  ' + detail if detail else ''))
    if not ok:
        failed += 1

def read_safetensors(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    dtypes = {'F32': np.float32, 'F16': np.float16, 'I64': np.int64, 'I32': np.int32}
    out = {}
    for k, v in header.items():
        a, b = v['data_offsets']
        arr = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=dtypes[v['dtype']]).reshape(v['shape'])
        out[k] = torch.from_numpy(arr.copy())
    return out, meta

def same_dict(name, ours, ref):
    ok_keys = list(ours.keys()) == list(ref.keys())
    check(name + ': same keys in the same order', ok_keys,
          '' if ok_keys else 'only ours: %s; only ref: %s' % (sorted(set(ours) - set(ref))[:5], sorted(set(ref) - set(ours))[:5]))
    bad = [k for k in ref if k in ours and not (ours[k].dtype == ref[k].dtype and ours[k].shape == ref[k].shape and torch.equal(ours[k], ref[k]))]
    check(name + ': %d tensors bit-identical (dtype, shape, values)' % len(ref), not bad, ', '.join(bad[:5]))

def strip(d, prefix):
    return {k[len(prefix):]: v for k, v in d.items() if k.startswith(prefix)}

mode = sys.argv[1]
if mode == 'golden':
    ref_path, ckpt, backbone, st = sys.argv[2:6]
    ref = torch.load(ref_path, map_location='cpu')
    for loader in ('torch.load', 'torch.load(weights_only=True)'):
        ours = torch.load(ckpt, map_location='cpu', weights_only=loader.endswith('True)'))
        check(loader + ' reads the checkpoint .pth', isinstance(ours, dict), type(ours).__name__)
        for net in ('student', 'teacher'):
            same_dict('%s %s' % (loader, net), ours[net], ref[net])
        check(loader + ' epoch', ours['epoch'] == ref['epoch'], '%r vs %r' % (ours['epoch'], ref['epoch']))
        c, rc = ours['dino_loss']['center'], ref['dino_loss']['center']
        check(loader + ' dino_loss.center', c.shape == rc.shape and torch.equal(c, rc))
    b = torch.load(backbone, map_location='cpu', weights_only=True)
    same_dict('teacher backbone .pth', b, strip(ref['teacher'], 'backbone.'))
    t, meta = read_safetensors(st)
    same_dict('teacher safetensors backbone', strip(t, 'backbone.'), strip(ref['teacher'], 'backbone.'))
    same_dict('teacher safetensors head', strip(t, 'head.'), strip(ref['teacher'], 'head.'))
    check('safetensors metadata has the architecture', 'dinolab.config' in meta and meta.get('format') == 'pt', str(meta)[:120])
else:
    ckpt, backbone, st = sys.argv[2:5]
    ours = torch.load(ckpt, map_location='cpu', weights_only=True)
    check('run export: checkpoint has student, teacher, epoch, dino_loss', all(k in ours for k in ('student', 'teacher', 'epoch', 'dino_loss')), str(list(ours)))
    s, te = ours['student'], ours['teacher']
    check('run export: student keys under module.backbone. / module.head.', all(k.startswith(('module.backbone.', 'module.head.')) for k in s))
    check('run export: teacher keys under backbone. / head.', all(k.startswith(('backbone.', 'head.')) for k in te))
    check('run export: student and teacher have the same parameters', sorted(strip(s, 'module.')) == sorted(te))
    need = ['backbone.cls_token', 'backbone.pos_embed', 'backbone.patch_embed.proj.weight', 'backbone.blocks.0.attn.qkv.weight',
            'backbone.norm.weight', 'head.mlp.0.weight', 'head.last_layer.weight_g', 'head.last_layer.weight_v']
    missing = [k for k in need if k not in te]
    check('run export: official parameter names present', not missing, ', '.join(missing))
    check('run export: teacher differs from student after training', any(not torch.equal(te[k], strip(s, 'module.')[k]) for k in te))
    b = torch.load(backbone, map_location='cpu', weights_only=True)
    same_dict('run export: backbone .pth vs checkpoint teacher', b, strip(te, 'backbone.'))
    t, meta = read_safetensors(st)
    same_dict('run export: safetensors teacher vs checkpoint teacher', {k: v for k, v in t.items() if k != 'center'}, te)
    check('run export: safetensors center equals dino_loss.center', torch.equal(t['center'], ours['dino_loss']['center']))
    cfg = json.loads(meta['dinolab.config'])
    check('run export: metadata depth matches the blocks in the file',
          cfg['model']['depth'] == len({k.split('.')[2] for k in te if k.startswith('backbone.blocks.')}), str(cfg['model']))
print('torch %s: %d failed' % (torch.__version__, failed))
sys.exit(1 if failed else 0)
`;

/** The first of $PYTHON, python3 on the PATH, and Debian's /usr/bin/python3 that has torch. */
function findPython(): string | null {
  for (const exe of [process.env.PYTHON, 'python3', '/usr/bin/python3']) {
    if (!exe) continue;
    try {
      execFileSync(exe, ['-c', 'import torch'], { stdio: 'ignore' });
      return exe;
    } catch {
      // try the next one
    }
  }
  return null;
}

let pythonExe = 'python3';

function python(args: string[]): boolean {
  try {
    process.stdout.write(execFileSync(pythonExe, ['-c', PYTHON, ...args], { encoding: 'utf8' }));
    return true;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    process.stdout.write(err.stdout ?? '');
    process.stderr.write(err.stderr ?? '');
    return false;
  }
}

async function goldenRoundTrip(caseDir: string, out: string): Promise<boolean> {
  const refPath = path.join(caseDir, 'checkpoint.pth');
  const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8')) as { config: { num_heads: number } };
  const w = loadWeights('checkpoint.pth', new Uint8Array(readFileSync(refPath)), { numHeads: manifest.config.num_heads });
  if (!w.networks) throw new Error(`${refPath}: not a training checkpoint (layout ${w.layout})`);
  const ckpt = path.join(out, 'checkpoint.pth');
  const backbone = path.join(out, 'backbone.pth');
  const st = path.join(out, 'teacher.safetensors');
  writeFileSync(ckpt, toOfficialCheckpoint({ student: w.networks.student, teacher: w.networks.teacher, epoch: w.epoch ?? 0, center: w.center }));
  writeFileSync(backbone, writePth(w.networks.teacher.backbone, 'backbone'));
  writeFileSync(st, toDinolabSafetensors({
    backbone: w.networks.teacher.backbone,
    head: w.networks.teacher.head,
    center: w.center,
    arch: w.arch,
    headArch: w.headArch,
    epoch: w.epoch,
  }));
  console.log(`-- ${path.basename(caseDir)}: dinolab re-wrote the torch-written checkpoint; torch reads it back`);
  return python(['golden', refPath, ckpt, backbone, st]);
}

async function runExport(out: string): Promise<boolean> {
  await tf.setBackend('cpu');
  const config = microRunConfig({ warmupEpochs: 0, freezeLastLayer: 0 });
  const rng = new Rng(5);
  const store = new ImageStore();
  store.add(Array.from({ length: 8 }, (_, i) => ({
    id: `i${i}`, label: 'x', width: 20, height: 18, pixels: Uint8Array.from({ length: 20 * 18 * 3 }, () => rng.int(256)),
  })));
  const run = new DinoRun(config, store.count);
  run.runStep(store);
  run.runStep(store);
  await run.flushMetrics();
  const files: string[] = [];
  for (const format of ['official-checkpoint', 'teacher-backbone', 'teacher-safetensors'] as const) {
    const { bytes, fileName } = await exportRun(run, format);
    files.push(path.join(out, fileName));
    writeFileSync(files[files.length - 1], bytes);
  }
  run.dispose();
  store.dispose();
  console.log('-- a 2-step nano run exported as the Export tab does; torch reads it');
  return python(['run', ...files]);
}

async function main(): Promise<void> {
  const dirs = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  if (dirs.length === 0) {
    console.error('usage: npm run check:torch -- <golden-case-dir> [...]');
    process.exit(2);
  }
  const exe = findPython();
  if (!exe) {
    console.error('check:torch needs python3 with torch (Debian: sudo apt-get install python3-torch), or PYTHON=<python with torch>');
    process.exit(2);
  }
  pythonExe = exe;
  const out = mkdtempSync(path.join(os.tmpdir(), 'dinolab-torch-'));
  let ok = true;
  for (const dir of dirs) ok = (await goldenRoundTrip(dir, out)) && ok;
  ok = (await runExport(out)) && ok;
  console.log(ok ? 'check:torch: all passed' : 'check:torch: FAILED');
  process.exit(ok ? 0 : 1);
}

void main();
