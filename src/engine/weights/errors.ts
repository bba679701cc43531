/**
 * The one error type of the weights folder, and the bounds on what a hostile file can put into a
 * message. Every failure to read, recognise or check a weights file throws WeightsError, with a
 * message that names the file kind, the tensor and expected vs actual, so the UI can show it as is.
 *
 * A file controls names, shapes and list lengths, so nothing it holds goes into a message whole:
 * a message is at most MAX_MESSAGE characters, a name at most MAX_NAME, and a list shows its
 * first LIST_SHOWN items then "... and N more".
 */

/** Longest error message, characters; longer ones are cut with "…". */
export const MAX_MESSAGE = 400;
/** Longest name (tensor key, global, value preview) quoted in a message or report, characters. */
const MAX_NAME = 80;
/** Longest tensor or state-dict key a file may hold, characters (the official ones are under 60). */
export const MAX_KEY_LENGTH = 1000;
/** Longest item of a list in a report, characters. */
export const MAX_ITEM = 200;
/** Items of a list shown in a message or report before "... and N more". */
export const LIST_SHOWN = 6;

export class WeightsError extends Error {
  override name = 'WeightsError';
  constructor(message: string) {
    super(message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message);
  }
}

/** `s` cut to MAX_NAME characters. */
export function clip(s: string, max = MAX_NAME): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The first LIST_SHOWN items, each clipped, then "... and N more" when there are more. */
export function capList(items: readonly string[], shown = LIST_SHOWN): string[] {
  const head = items.slice(0, shown).map((s) => clip(s, MAX_ITEM));
  return items.length > shown ? [...head, `... and ${items.length - shown} more`] : head;
}

/** A list for a message: `capList` joined with ", ". */
export function listText(items: readonly string[], shown = LIST_SHOWN): string {
  return capList(items, shown).join(', ');
}

/**
 * A short, safe description of any value a file produced (deep, cyclic or huge ones included):
 * never recursive beyond two levels, never longer than MAX_NAME. Use it instead of JSON.stringify.
 */
export function preview(v: unknown, depth = 0): string {
  let s: string;
  if (v === null || v === undefined) s = String(v);
  else if (typeof v === 'string') s = JSON.stringify(clip(v, MAX_NAME));
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') s = String(v);
  else if (Array.isArray(v)) {
    if (depth >= 2) s = `[${v.length} items]`;
    else s = `[${v.slice(0, 4).map((x) => preview(x, depth + 1)).join(', ')}${v.length > 4 ? `, ... ${v.length - 4} more` : ''}]`;
  } else if (v instanceof Map) s = `dict of ${v.size}`;
  else if (typeof v === 'object') s = (v as object).constructor?.name ?? 'object';
  else s = typeof v;
  return clip(s);
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
