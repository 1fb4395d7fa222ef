/** A problem the user can fix (bad input, bad config file): reported as a one-line message, never a stack trace. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** The message of anything thrown, for one-line reports. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Characters of a value a message quotes: enough to recognise it, never a whole file's worth. */
export const MAX_QUOTED_CHARS = 60;

/** `"value"` for a message, cut to its first characters (with `…`) when it is long. */
export function quoted(value: string, max = MAX_QUOTED_CHARS): string {
  const chars = [...value];
  return chars.length <= max ? `"${value}"` : `"${chars.slice(0, max).join('')}…" (${chars.length.toLocaleString('en-US')} characters)`;
}
