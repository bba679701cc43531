/**
 * The Content-Security-Policy of the built app: only its own code runs, and the page talks only to
 * itself and to the Hugging Face Hub (the model-id download). vite.config.ts sends it as a header
 * from `vite preview` and writes it into the built HTML as a meta tag, so a static host that sets
 * no header still gets it. The dev server does not use it (Vite's dev client injects inline scripts).
 *
 * - script-src: 'wasm-unsafe-eval' lets WebAssembly compile (tfjs wasm); no inline script, no eval.
 *   blob: because the threaded wasm backend's pthread workers load the backend's own code from a
 *   blob: URL it makes (only code already running in the page can make one).
 * - worker-src: the training worker is a file of the app; the pthread workers start from blob: URLs.
 * - connect-src: the Hub's resolve URLs answer with a redirect to its file CDNs, so those hosts are
 *   listed too.
 * - img-src: thumbnails and exports are blob: URLs made by the page.
 */
const HUB_ORIGINS = [
  'https://huggingface.co',
  'https://cdn-lfs.huggingface.co',
  'https://cdn-lfs.hf.co',
  'https://cas-bridge.xethub.hf.co',
];

const CSP_DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'", 'blob:'],
  'worker-src': ["'self'", 'blob:'],
  'connect-src': ["'self'", ...HUB_ORIGINS],
  'img-src': ["'self'", 'blob:', 'data:'],
  'style-src': ["'self'"],
  'font-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
};

/** The policy as one header value. */
export function contentSecurityPolicy(directives = CSP_DIRECTIVES): string {
  return Object.entries(directives)
    .map(([k, v]) => `${k} ${v.join(' ')}`)
    .join('; ');
}
