/**
 * The change "by line": the layers of the two images matched by the instruction
 * that made them. Every layer lands in exactly one row, so the rows' deltas add
 * up to the image's delta. Pure.
 *
 * The base image's layers make one row (`FROM …`). The Dockerfile's own layers are
 * matched by stage and instruction text, ignoring the line, so an instruction that
 * moved stays one row; the n-th copy of the same instruction pairs with the n-th.
 * What is left is paired as an edit in order (a RUN whose command changed, a COPY or
 * ADD to the same destination), and the rest are rows that were added or removed.
 */
import type { LineChange } from '../model/change.js';
import type { LayerReport } from '../model/report.js';

interface Row {
  kind: LineChange['kind'];
  stage: string | null;
  instruction: string | null;
  line: number | null;
  bytes: number;
}

/** The rows of one image: the base image's layers as one, then one per own or unknown layer. */
function rowsOf(layers: readonly LayerReport[]): { base: number | null; rows: Row[] } {
  let base: number | null = null;
  const rows: Row[] = [];
  for (const layer of layers) {
    if (layer.fromBase === true) base = (base ?? 0) + layer.bytes;
    else
      rows.push({
        kind: layer.fromBase === false ? 'instruction' : 'unknown',
        stage: layer.stage,
        instruction: layer.instruction,
        line: layer.line,
        bytes: layer.bytes
      });
  }
  return { base, rows };
}

/**
 * The instruction as compared: the classic builder's history names a COPY's or ADD's
 * source by its content hash (`COPY dir:5fe8…e37 in /app`), which changes with the
 * files; the same instruction with other files is still the same row.
 */
function comparable(instruction: string | null): string {
  return (instruction ?? '').replace(/\b(file|dir|multi):[0-9a-f]{12,}/g, '$1:');
}

function keyOf(row: Row): string {
  return `${row.kind}\u0000${row.stage ?? ''}\u0000${comparable(row.instruction)}`;
}

/**
 * What an edited instruction keeps: a RUN is still the RUN at its place when its command
 * changed; a COPY or ADD only when it still writes to the same destination (a COPY of
 * other files elsewhere is another instruction). Other rows are never paired this way.
 */
function editKeyOf(row: Row): string {
  const words = (row.instruction ?? '').split(/\s+/);
  const keyword = words[0] ?? '';
  const place = keyword === 'RUN' ? '' : keyword === 'COPY' || keyword === 'ADD' ? words.at(-1)! : `\u0000${comparable(row.instruction)}`;
  return `${row.kind}\u0000${row.stage ?? ''}\u0000${keyword}\u0000${place}`;
}

/** Pairs rows whose `key` is equal, the n-th with the n-th; returns the pairs and removes them from both lists. */
function pairBy(head: Row[], base: Row[], key: (row: Row) => string): Array<[Row, Row]> {
  const waiting = new Map<string, Row[]>();
  for (const row of base) {
    const list = waiting.get(key(row));
    if (list === undefined) waiting.set(key(row), [row]);
    else list.push(row);
  }
  const pairs: Array<[Row, Row]> = [];
  const paired = new Set<Row>();
  for (const row of head) {
    const match = waiting.get(key(row))?.shift();
    if (match === undefined) continue;
    pairs.push([row, match]);
    paired.add(row).add(match);
  }
  const keep = (row: Row): boolean => !paired.has(row);
  head.splice(0, head.length, ...head.filter(keep));
  base.splice(0, base.length, ...base.filter(keep));
  return pairs;
}

function change(head: Row | null, base: Row | null, baseInstruction: string | null = null): LineChange {
  const row = (head ?? base)!;
  return {
    kind: row.kind,
    stage: row.stage,
    instruction: row.instruction,
    baseInstruction,
    line: head?.line ?? null,
    baseLine: base?.line ?? null,
    image: null,
    headBytes: head?.bytes ?? null,
    baseBytes: base?.bytes ?? null,
    deltaBytes: (head?.bytes ?? 0) - (base?.bytes ?? 0)
  };
}

/** Every row by line, largest change first (then in the PR's Dockerfile order). */
export function lineChanges(
  head: { layers: readonly LayerReport[]; baseImage: string | null },
  base: { layers: readonly LayerReport[]; baseImage: string | null }
): LineChange[] {
  const headRows = rowsOf(head.layers);
  const baseRows = rowsOf(base.layers);
  const changes: LineChange[] = [];
  if (headRows.base !== null || baseRows.base !== null) {
    const image = head.baseImage ?? base.baseImage;
    changes.push({
      kind: 'base',
      stage: null,
      instruction: image === null ? 'FROM' : `FROM ${image}`,
      baseInstruction: null,
      line: null,
      baseLine: null,
      image: { before: base.baseImage, after: head.baseImage },
      headBytes: headRows.base,
      baseBytes: baseRows.base,
      deltaBytes: (headRows.base ?? 0) - (baseRows.base ?? 0)
    });
  }
  const unpairedHead = [...headRows.rows];
  const unpairedBase = [...baseRows.rows];
  for (const [h, b] of pairBy(unpairedHead, unpairedBase, keyOf)) changes.push(change(h, b));
  for (const [h, b] of pairBy(unpairedHead, unpairedBase, editKeyOf)) changes.push(change(h, b, b.instruction));
  for (const h of unpairedHead) changes.push(change(h, null));
  for (const b of unpairedBase) changes.push(change(null, b));
  const order = (row: LineChange): number => (row.kind === 'base' ? -1 : (row.line ?? row.baseLine ?? Number.MAX_SAFE_INTEGER));
  return changes.sort((a, b) => Math.abs(b.deltaBytes) - Math.abs(a.deltaBytes) || order(a) - order(b));
}
