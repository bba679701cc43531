/**
 * The one error type of the weights folder. Every failure to read, recognise or check a weights
 * file throws it, with a message that names the file kind, the tensor and expected vs actual, so
 * the UI can show it as is.
 */
export class WeightsError extends Error {
  override name = 'WeightsError';
}

/** Runs `fn`; any failure (a WeightsError without context, a RangeError from a corrupt length)
 *  becomes a WeightsError whose message starts with `context`. */
export function withContext<T>(context: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new WeightsError(`${context}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
