import { UserError } from '../errors.js';

/** What a comment key may hold: it sits inside an HTML comment, so nothing that could close it. */
const COMMENT_KEY = /^[A-Za-z0-9._-]+$/;

export function isCommentKey(key: string): boolean {
  return COMMENT_KEY.test(key);
}

/** The marker that finds this report's comment again; keys are checked so it can never be broken out of. */
export function commentMarker(key: string): string {
  if (!isCommentKey(key)) {
    throw new UserError(`comment key "${key}" is not valid; use only letters, digits, ".", "_" and "-"`);
  }
  return `<!-- footprint:${key} -->`;
}
