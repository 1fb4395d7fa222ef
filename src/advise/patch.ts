/**
 * A finding's patch applied to its Dockerfile's text: the lines it names replaced
 * by its text, and the way back from a line of the result to the line of the
 * original (a failed verification build names the line a reader knows). Pure.
 */
import type { Patch } from '../model/report.js';

export interface Patched {
  text: string;
  /** The original line a line of the patched text comes from; a line inside the replacement maps to the patch's first line. */
  originalLine(line: number): number;
}

/** Applies the patch; null when its lines are not in the text. */
export function applyPatch(text: string, patch: Patch): Patched | null {
  const lines = text.split(/\r?\n/);
  if (patch.line < 1 || patch.endLine < patch.line || patch.endLine > lines.length) return null;
  const replacement = patch.text.split('\n');
  const patched = [...lines.slice(0, patch.line - 1), ...replacement, ...lines.slice(patch.endLine)];
  const shift = replacement.length - (patch.endLine - patch.line + 1);
  return {
    text: patched.join('\n'),
    originalLine(line) {
      if (line < patch.line) return line;
      if (line < patch.line + replacement.length) return patch.line;
      return line - shift;
    }
  };
}
