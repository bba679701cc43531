import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The golden case directories: $GOLDEN_DIR, else ../shared/golden beside the repository. */
export function goldenRoot(): string {
  if (process.env.GOLDEN_DIR) return path.resolve(process.env.GOLDEN_DIR);
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, '../../../shared/golden');
}

/** Every case directory (one with a manifest.json); throws when there is none, so tests cannot pass vacuously. */
export function goldenCaseDirs(): string[] {
  const root = goldenRoot();
  const dirs = existsSync(root)
    ? readdirSync(root)
        .map((d) => path.join(root, d))
        .filter((d) => existsSync(path.join(d, 'manifest.json')))
    : [];
  if (dirs.length === 0) throw new Error(`no golden cases found under ${root} (set GOLDEN_DIR)`);
  return dirs.sort();
}
