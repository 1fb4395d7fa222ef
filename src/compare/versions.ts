/**
 * Version ordering, to tell an upgrade from a downgrade. Debian's dpkg order
 * (`[epoch:]upstream[-revision]`, compared by dpkg's `verrevcmp`) also orders
 * semver releases (`1.2.10` > `1.2.9`), PEP 440 plain releases and Alpine's
 * `1.2.3-r4` sensibly, so one comparison serves every package manager.
 */

/** Negative when `a` is older than `b`, 0 when they are equal in dpkg's order, positive when newer. */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  const left = parse(a);
  const right = parse(b);
  return compareDigits(left.epoch, right.epoch) || verrevcmp(left.upstream, right.upstream) || verrevcmp(left.revision, right.revision);
}

/** `[epoch:]upstream[-revision]`: the epoch is the digits before the first `:`, the revision what follows the last `-`. */
function parse(version: string): { epoch: string; upstream: string; revision: string } {
  const trimmed = version.trim();
  const epoch = /^(\d+):/.exec(trimmed);
  const rest = epoch ? trimmed.slice(epoch[0].length) : trimmed;
  const dash = rest.lastIndexOf('-');
  return {
    epoch: epoch ? epoch[1]! : '0',
    upstream: dash === -1 ? rest : rest.slice(0, dash),
    revision: dash === -1 ? '' : rest.slice(dash + 1)
  };
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** dpkg's `order`: `~` before the end of the string, the end before letters, letters before everything else. */
function order(version: string, at: number): number {
  if (at >= version.length) return 0;
  const code = version.charCodeAt(at);
  if (isDigit(code)) return 0;
  if (isLetter(code)) return code;
  if (code === 0x7e) return -1; // '~'
  return code + 256;
}

/** Compares two runs of decimal digits by value, whatever their length (an epoch may be any size). */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
}

/**
 * dpkg's `verrevcmp`: alternately compares a run of non-digits (character by character
 * in `order`) and a run of digits (by value), until one part differs.
 */
function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const difference = order(a, i) - order(b, j);
      if (difference !== 0) return difference;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 0x30) i++;
    while (b.charCodeAt(j) === 0x30) j++;
    let firstDifference = 0;
    while (i < a.length && j < b.length && isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDifference === 0) firstDifference = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigit(a.charCodeAt(i))) return 1;
    if (j < b.length && isDigit(b.charCodeAt(j))) return -1;
    if (firstDifference !== 0) return firstDifference;
  }
  return 0;
}
