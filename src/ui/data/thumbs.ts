/** Object URLs of gallery thumbnails, made on first display and revoked when the image goes. */
const blobs = new Map<string, Blob>();
const urls = new Map<string, string>();

export function setThumb(id: string, blob: Blob): void {
  forgetThumb(id);
  blobs.set(id, blob);
}

export function thumbUrl(id: string): string | undefined {
  let url = urls.get(id);
  if (!url) {
    const blob = blobs.get(id);
    if (!blob) return undefined;
    url = URL.createObjectURL(blob);
    urls.set(id, url);
  }
  return url;
}

export function forgetThumb(id: string): void {
  const url = urls.get(id);
  if (url) URL.revokeObjectURL(url);
  urls.delete(id);
  blobs.delete(id);
}
