import { describe, expect, it } from 'vitest';
import { classifyFile, isSystemFile, labelFromPath, skipMessage } from './file-types';

describe('classifyFile', () => {
  it('accepts the five decodable formats by MIME type', () => {
    expect(classifyFile('a.jpg', 'image/jpeg')).toEqual({ ok: true, format: 'jpeg' });
    expect(classifyFile('a', 'image/png')).toEqual({ ok: true, format: 'png' });
    expect(classifyFile('a.webp', 'image/webp')).toEqual({ ok: true, format: 'webp' });
    expect(classifyFile('a.gif', 'image/gif')).toEqual({ ok: true, format: 'gif' });
    expect(classifyFile('a.bmp', 'image/bmp')).toEqual({ ok: true, format: 'bmp' });
  });

  it('falls back to the extension when the MIME type is empty', () => {
    expect(classifyFile('PHOTO.JPEG', '')).toEqual({ ok: true, format: 'jpeg' });
    expect(classifyFile('scan.bmp', '')).toEqual({ ok: true, format: 'bmp' });
  });

  it('gives the reason for everything else', () => {
    expect(skipMessage('notes.txt', (classifyFile('notes.txt', 'text/plain') as { reason: string }).reason)).toBe(
      'notes.txt: not an image (text/plain)',
    );
    expect(classifyFile('x.svg', 'image/svg+xml')).toEqual({
      ok: false,
      reason: 'unsupported image format (image/svg+xml); use JPEG, PNG, WebP, GIF (first frame) or BMP',
    });
    expect(classifyFile('IMG_1.HEIC', '')).toMatchObject({ ok: false, reason: expect.stringContaining('image/heic') });
    expect(classifyFile('data.bin', '')).toEqual({ ok: false, reason: 'not an image (unknown type)' });
    expect(classifyFile('a.pdf', 'application/pdf; charset=binary')).toEqual({ ok: false, reason: 'not an image (application/pdf)' });
  });
});

describe('labelFromPath', () => {
  it('uses the immediate parent folder', () => {
    expect(labelFromPath('/cats/a.jpg')).toBe('cats');
    expect(labelFromPath('pets/dogs/b.png')).toBe('dogs');
    expect(labelFromPath('a.jpg')).toBeNull();
    expect(labelFromPath('/a.jpg')).toBeNull();
  });

  it('recognises system files', () => {
    expect(isSystemFile('.DS_Store')).toBe(true);
    expect(isSystemFile('Thumbs.db')).toBe(true);
    expect(isSystemFile('cat.png')).toBe(false);
  });
});
