/**
 * Where reference cases are found (Node only). A case is a folder with a `manifest.json`; its
 * `format` field says which checks apply (`dino-golden-v1`: the official DINO code's outputs).
 *
 * Roots, in order: $GOLDEN_DIR alone when it is set; otherwise every `test-data/golden*` folder of
 * this repository (the copies the tests need, so a bare clone passes), then every `golden*` folder
 * of `../shared` beside the repository when it exists (where new reference cases appear). A root
 * that is itself a case counts as one. A case name seen twice is taken from the first root.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CaseDir {
  /** Folder name, unique across roots. */
  name: string;
  dir: string;
  /** The manifest's `format` ('' when it has none). */
  format: string;
}

/** The format of the official DINO golden cases (the weights, forward, train, knn, schedules checks). */
export const DINO_GOLDEN_FORMAT = 'dino-golden-v1';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const isDir = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
const isCase = (p: string) => existsSync(path.join(p, 'manifest.json'));

/** `golden*` sub-folders of `parent`, sorted; none when `parent` does not exist. */
function goldenFolders(parent: string): string[] {
  if (!isDir(parent)) return [];
  return readdirSync(parent)
    .filter((d) => d.startsWith('golden'))
    .map((d) => path.join(parent, d))
    .filter(isDir)
    .sort();
}

/** The folders searched for cases (see the file comment). */
export function goldenRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.GOLDEN_DIR) return [path.resolve(env.GOLDEN_DIR)];
  return [...goldenFolders(path.join(REPO, 'test-data')), ...goldenFolders(path.resolve(REPO, '../shared'))];
}

function readFormat(dir: string): string {
  try {
    const format = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).format;
    return typeof format === 'string' ? format : '';
  } catch {
    return '';
  }
}

/** Every case under `roots`, deduplicated by name (the first root wins), sorted by name. */
export function findCases(roots: string[] = goldenRoots()): CaseDir[] {
  const byName = new Map<string, CaseDir>();
  for (const root of roots) {
    const dirs = isCase(root)
      ? [root]
      : isDir(root)
        ? readdirSync(root).map((d) => path.join(root, d)).filter((d) => isDir(d) && isCase(d)).sort()
        : [];
    for (const dir of dirs) {
      const name = path.basename(dir);
      if (!byName.has(name)) byName.set(name, { name, dir, format: readFormat(dir) });
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The official DINO golden case folders; throws when there is none, so tests cannot pass vacuously. */
export function goldenCaseDirs(roots: string[] = goldenRoots()): string[] {
  const dirs = findCases(roots).filter((c) => c.format === DINO_GOLDEN_FORMAT).map((c) => c.dir);
  if (dirs.length === 0) throw new Error(`no ${DINO_GOLDEN_FORMAT} cases found under ${roots.join(', ') || '(no roots)'} (set GOLDEN_DIR)`);
  return dirs;
}
