/**
 * The one error type of the weights folder. Every failure to read, recognise or check a weights
 * file throws it, with a message that names the file kind, the tensor and expected vs actual, so
 * the UI can show it as is.
 */
export class WeightsError extends Error {
  override name = 'WeightsError';
}

/** Runs `fn`, turning any non-WeightsError failure (a RangeError from a corrupt length, an
 *  allocation failure) into a WeightsError that starts with `what`. */
export function asWeightsError<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
