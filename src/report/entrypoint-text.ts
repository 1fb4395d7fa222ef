/**
 * What the image runs, in one line of plain text for every renderer:
 * `/main: a static ELF binary (x86-64, 11.0 MB): no loader, no shared libraries`.
 */
import type { Entrypoint } from '../model/report.js';
import { formatBytes } from '../units.js';
import { oneLine } from './escape.js';

/** Libraries named before the rest are counted. */
const MAX_LIBRARIES = 8;

function libraries(needed: readonly string[]): string {
  const shown = needed.slice(0, MAX_LIBRARIES).join(', ');
  return needed.length > MAX_LIBRARIES ? `${shown} and ${needed.length - MAX_LIBRARIES} more` : shown;
}

/** The entrypoint's facts as a sentence without a final period; null when there is nothing to say. */
export function entrypointText(entrypoint: Entrypoint | null): string | null {
  if (entrypoint === null) return null;
  const command = oneLine(entrypoint.command.join(' '));
  const size = entrypoint.bytes === null ? '' : `, ${formatBytes(entrypoint.bytes)}`;
  const machine = entrypoint.machine === null ? '' : `${entrypoint.machine}`;
  const path = entrypoint.path === null ? '' : oneLine(entrypoint.path);
  switch (entrypoint.kind) {
    case 'static':
      return `${path}: a static ELF binary (${machine}${size}): no loader, no shared libraries`;
    case 'dynamic': {
      const needs = entrypoint.needed === null ? 'libraries not read' : `needs ${libraries(entrypoint.needed)}`;
      return `${path}: a dynamic ELF binary (${machine}${size}), loader ${oneLine(entrypoint.interpreter ?? '?')}, ${needs}`;
    }
    case 'script':
      return `${path}: a script run by ${oneLine(entrypoint.interpreter ?? '?')}`;
    case 'other':
      return `${path}: neither an ELF binary nor a script${size}`;
    case 'missing':
      return `${oneLine(entrypoint.program ?? command)}: not found in the image`;
    case 'unknown':
      return `${command}: the program could not be read from this command`;
  }
}
