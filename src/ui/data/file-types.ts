/**
 * Which dropped or picked files become dataset images, and why the others are skipped. Browsers
 * decode JPEG, PNG, WebP, GIF (first frame) and BMP with createImageBitmap; the MIME type decides,
 * the extension only when the browser gives none (common for folder walks and some OSes).
 */

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'bmp';

export type Classification = { ok: true; format: ImageFormat } | { ok: false; reason: string };

const BY_MIME: Record<string, ImageFormat> = {
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/pjpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'image/x-ms-bmp': 'bmp',
  'image/x-bmp': 'bmp',
};

const BY_EXTENSION: Record<string, ImageFormat> = {
  jpg: 'jpeg',
  jpeg: 'jpeg',
  jfif: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  bmp: 'bmp',
};

/** Extensions browsers report with an empty MIME type that are worth naming in the reason. */
const KNOWN_OTHER: Record<string, string> = {
  heic: 'image/heic',
  heif: 'image/heif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  svg: 'image/svg+xml',
  avif: 'image/avif',
  txt: 'text/plain',
  md: 'text/markdown',
  json: 'application/json',
  pdf: 'application/pdf',
  zip: 'application/zip',
};

export const ACCEPTED_DESCRIPTION = 'JPEG, PNG, WebP, GIF (first frame) or BMP';

/** The `accept` attribute for file inputs. */
export const ACCEPT_ATTRIBUTE = 'image/jpeg,image/png,image/webp,image/gif,image/bmp,.jpg,.jpeg,.png,.webp,.gif,.bmp';

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/** Decide from a file's name and MIME type whether to try decoding it. */
export function classifyFile(name: string, mimeType: string): Classification {
  const mime = mimeType.toLowerCase().split(';')[0].trim();
  if (mime) {
    const format = BY_MIME[mime];
    if (format) return { ok: true, format };
    if (mime.startsWith('image/')) return { ok: false, reason: `unsupported image format (${mime}); use ${ACCEPTED_DESCRIPTION}` };
    return { ok: false, reason: `not an image (${mime})` };
  }
  const ext = extension(name);
  const format = BY_EXTENSION[ext];
  if (format) return { ok: true, format };
  const guessed = KNOWN_OTHER[ext];
  if (guessed?.startsWith('image/')) return { ok: false, reason: `unsupported image format (${guessed}); use ${ACCEPTED_DESCRIPTION}` };
  if (guessed) return { ok: false, reason: `not an image (${guessed})` };
  return { ok: false, reason: 'not an image (unknown type)' };
}

/** Reason shown for a file the browser could not decode. */
export const UNDECODABLE = 'could not be decoded';

/** A skipped file as the UI lists it: "notes.txt: not an image (text/plain)". */
export function skipMessage(name: string, reason: string): string {
  return `${name}: ${reason}`;
}

/**
 * Label of a file from its path inside a dropped or picked folder: the immediate parent folder's
 * name, or null for a file given on its own. Accepts "/a/b/c.png", "a/b/c.png" and "c.png".
 */
export function labelFromPath(path: string): string | null {
  const parts = path.split('/').filter((p) => p.length > 0);
  return parts.length >= 2 ? parts[parts.length - 2] : null;
}

/** Hidden and system files a folder walk should ignore silently (.DS_Store, Thumbs.db, ._x). */
export function isSystemFile(name: string): boolean {
  return name.startsWith('.') || name === 'Thumbs.db' || name === 'desktop.ini';
}
