/** Export tab: checkpoints, official-format weights, and the equivalent main_dino.py command. */
import { useMemo, useRef, useState } from 'react';
import { officialCommandLine } from './official-cli';
import { downloadCheckpoint, exportWeights, restoreCheckpoint } from '../train/run-actions';
import { loadWeightsFile } from '../weights/weights-actions';
import { useStore } from '../store';
import './export.css';

function CommandLine() {
  const config = useStore((s) => s.config);
  const [gpus, setGpus] = useState(1);
  const [copied, setCopied] = useState(false);
  const { command, notes } = useMemo(() => officialCommandLine(config, { gpus }), [config, gpus]);
  return (
    <section aria-label="Official command line">
      <h3>Run this recipe with the official code</h3>
      <p className="muted">
        The <code>main_dino.py</code> command of facebookresearch/dino equivalent to the current configuration.
      </p>
      <div className="toolbar">
        <label>
          GPUs{' '}
          <input type="number" className="num" min={1} max={64} value={gpus} onChange={(e) => setGpus(Math.max(1, Math.round(Number(e.target.value) || 1)))} />
        </label>
        <button
          type="button"
          onClick={() => {
            void navigator.clipboard?.writeText(command).then(() => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            });
          }}
        >
          {copied ? 'Copied' : 'Copy command'}
        </button>
      </div>
      <pre className="cli" data-testid="official-cli">
        {command}
      </pre>
      {notes.length > 0 && (
        <>
          <h4>What has no flag</h4>
          <ul className="notes">
            {notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

export function ExportPanel() {
  const hasRun = useStore((s) => s.progress !== null && s.progress.step > 0);
  const input = useRef<HTMLInputElement>(null);
  const [weightsOffer, setWeightsOffer] = useState<File | null>(null);
  const setTab = useStore((s) => s.setTab);
  const why = hasRun ? undefined : 'Train at least one step first';
  return (
    <div className="export-layout">
      <section aria-label="Checkpoints and weights">
        <h3>Checkpoints and weights</h3>
        <div className="export-actions">
          <div>
            <button type="button" disabled={!hasRun} title={why} onClick={() => void downloadCheckpoint()}>
              Download checkpoint
            </button>
            <p className="muted">The whole run (student, teacher, optimiser, center, RNG, step) to resume exactly later.</p>
          </div>
          <div>
            <button type="button" onClick={() => input.current?.click()}>
              Resume from a checkpoint file…
            </button>
            <input
              ref={input}
              type="file"
              hidden
              aria-label="Checkpoint file"
              onChange={async (e) => {
                const f = e.target.files?.[0];
                e.target.value = '';
                setWeightsOffer(null);
                if (!f) return;
                const refused = await restoreCheckpoint(await f.arrayBuffer());
                if (refused && /holds weights/.test(refused)) setWeightsOffer(f);
              }}
            />
            <p className="muted">Continues a run saved by “Download checkpoint” (.safetensors); the charts restart at its step.</p>
            {weightsOffer && (
              <p className="banner warn" role="alert" data-testid="weights-offer">
                {weightsOffer.name} holds weights, not a dinolab run.{' '}
                <button
                  type="button"
                  onClick={() => {
                    void loadWeightsFile(weightsOffer);
                    setWeightsOffer(null);
                    setTab('weights');
                  }}
                >
                  Load it as weights
                </button>
              </p>
            )}
          </div>
          <div>
            <button type="button" disabled={!hasRun} title={why} onClick={() => void exportWeights('official-checkpoint')}>
              Official checkpoint (.pth)
            </button>
            <p className="muted">The layout of main_dino.py's checkpoint.pth: student, teacher, epoch and the DINO loss center (no optimizer state or args).</p>
          </div>
          <div>
            <button type="button" disabled={!hasRun} title={why} onClick={() => void exportWeights('teacher-backbone')}>
              Teacher backbone (.pth)
            </button>
            <p className="muted">Like the released dino_*_pretrain.pth files: loads into vision_transformer.py for evaluation.</p>
          </div>
          <div>
            <button type="button" disabled={!hasRun} title={why} onClick={() => void exportWeights('teacher-safetensors')}>
              Teacher + head (.safetensors)
            </button>
            <p className="muted">Official names (backbone.*, head.*) and the center; the architecture is in the metadata, so dinolab reloads it as it was.</p>
          </div>
        </div>
      </section>
      <CommandLine />
    </div>
  );
}
