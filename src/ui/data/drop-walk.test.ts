/**
 * Dropping whole folders: the walk over FileSystemEntry trees that a real OS drag gives
 * (Playwright cannot make one), with readEntries handing out at most 100 entries per call as
 * Chromium does, nested folders, loose files beside folders, and folder names as labels.
 */
import { describe, expect, it } from 'vitest';
import { collectDropped } from './dataset-actions';
import { labelFromPath } from './file-types';

type Node = { name: string; children?: Node[] };

function fileEntry(name: string, fullPath: string) {
  return {
    isFile: true,
    isDirectory: false,
    name,
    fullPath,
    file: (ok: (f: File) => void) => setTimeout(() => ok(new File([name], name, { type: 'image/png' })), 0),
  };
}

function dirEntry(node: Node, parent: string): unknown {
  const fullPath = `${parent}/${node.name}`;
  return {
    isFile: false,
    isDirectory: true,
    name: node.name,
    fullPath,
    createReader: () => {
      let next = 0;
      const kids = node.children ?? [];
      return {
        // Like Chromium: at most 100 per call, then an empty batch at the end.
        readEntries: (ok: (e: unknown[]) => void) =>
          setTimeout(() => {
            const batch = kids.slice(next, next + 100).map((k) => entryOf(k, fullPath));
            next += batch.length;
            ok(batch);
          }, 0),
      };
    },
  };
}

const entryOf = (n: Node, parent: string) => (n.children ? dirEntry(n, parent) : fileEntry(n.name, `${parent}/${n.name}`));

function dataTransfer(top: Node[]): DataTransfer {
  const items = top.map((n) => ({
    kind: 'file',
    webkitGetAsEntry: () => entryOf(n, ''),
    getAsFile: () => null,
  }));
  return { items, files: [] } as unknown as DataTransfer;
}

describe('collectDropped', () => {
  it('walks dropped folders of any size and labels each file with its parent folder', async () => {
    const cats = Array.from({ length: 250 }, (_, i) => ({ name: `cat-${i}.png` }));
    const dt = dataTransfer([
      { name: 'pets', children: [{ name: 'cats', children: cats }, { name: 'dogs', children: [{ name: 'rex.jpg' }] }, { name: 'top.png' }] },
      { name: 'loose.png' },
    ]);
    const got = await collectDropped(dt);
    expect(got).toHaveLength(253);
    const labels = new Map<string, number>();
    for (const g of got) {
      const l = labelFromPath(g.path) ?? '(none)';
      labels.set(l, (labels.get(l) ?? 0) + 1);
    }
    expect(Object.fromEntries(labels)).toEqual({ cats: 250, dogs: 1, pets: 1, '(none)': 1 });
    expect(got.find((g) => g.file.name === 'rex.jpg')?.path).toBe('/pets/dogs/rex.jpg');
    expect(new Set(got.map((g) => g.path)).size).toBe(253);
  });

  it('takes plain files when the browser gives no entries', async () => {
    const f = new File(['x'], 'a.png', { type: 'image/png' });
    const dt = { items: [{ kind: 'file', getAsFile: () => f }], files: [f] } as unknown as DataTransfer;
    expect(await collectDropped(dt)).toEqual([{ file: f, path: 'a.png' }]);
  });
});
