/**
 * The rules that state bytes one instruction hid of another's (delete-in-later-run, join-runs, copy-over-run) on
 * anatomies worked out from layers, so the numbers are the anatomy's exact totals; the fixes that differ between
 * BuildKit and the classic builder; and add-remote-archive's download-and-unpack fix.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyseImage } from '../../src/analyse/anatomy.js';
import type { LayerOrigin } from '../../src/analyse/history.js';
import type { LayerEntry } from '../../src/analyse/model.js';
import { checkRules, type RuleInput } from '../../src/advise/rules/index.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import type { Finding } from '../../src/model/report.js';
import { imageWarnings } from '../../src/report/annotations.js';
import { file, image, layer, whiteout } from '../support/layers.js';
import { bareImage } from '../support/report-fixtures.js';

const MB = 1_000_000;

/** The image of a Dockerfile whose instructions at `lines` made the layers above one base layer. */
function analysed(lines: number[], layers: LayerEntry[][]) {
  const origins: LayerOrigin[] = [
    { fromBase: true, instruction: 'ADD rootfs', line: null, stage: null },
    ...lines.map((line) => ({ fromBase: false, instruction: `line ${line}`, line, stage: null }))
  ];
  return analyseImage(image([layer([file('bin/sh', 1000)]), ...layers.map((entries) => layer(entries))]), origins);
}

function check(text: string, options: Partial<Omit<RuleInput, 'dockerfile'>> = {}): Finding[] {
  return checkRules({ dockerfile: parseDockerfile(text), anatomy: null, hasDockerignore: true, ignore: [], ...options });
}

/** 120 files of 10,000 to 10,119 bytes under `folder`. */
function many(folder: string): LayerEntry[] {
  return Array.from({ length: 120 }, (_, index) => file(`${folder}/f${index}.o`, 10_000 + index));
}
const MANY_BYTES = 120 * 10_000 + (119 * 120) / 2;

describe('measured bytes are the exact totals, not the sum of the listed paths', () => {
  test('delete-in-later-run: 120 files deleted one by one, of which the anatomy lists 20', () => {
    const built = many('app/build');
    const anatomy = analysed([2, 4], [[...built, file('app/main', 50)], built.map((entry) => whiteout(entry.path))]);
    expect(anatomy.wasted.paths).toHaveLength(20);
    const listed = anatomy.wasted.paths.reduce((sum, path) => sum + path.bytes, 0);
    expect(listed).toBeLessThan(MANY_BYTES);
    const findings = check('FROM alpine\nCOPY build/ /app/build/\nENV A=1\nRUN rm -f /app/build/*.o\n', { anatomy });
    expect(findings.map((found) => [found.rule, found.line, found.savingsBytes])).toEqual([['delete-in-later-run', 4, MANY_BYTES]]);
    expect(findings[0]!.message).toBe(
      `This RUN deletes 1.2 MB of what line 2 created (/app/build/f119.o, /app/build/f118.o, /app/build/f117.o, ...): the bytes still ship in the earlier layer.`
    );
  });

  test("the line's warning annotation states the exact total too", () => {
    const built = many('app/build');
    const anatomy = analysed([2, 4], [built, built.map((entry) => whiteout(entry.path))]);
    const warnings = imageWarnings(bareImage({ name: 'app', layers: anatomy.layers, wasted: anatomy.wasted }));
    expect(warnings.map((warning) => [warning.line, warning.bytes, warning.message])).toEqual([
      [2, MANY_BYTES, '1.2 MB shipped but deleted or replaced at line 4 (/app/build)']
    ]);
  });

  test('join-runs: the exact total of a folder deleted whole and of files deleted one by one', () => {
    const anatomy = analysed(
      [2, 3],
      [
        [...many('tmp/src'), file('tmp/a.tgz', 3 * MB)],
        [whiteout('tmp/src'), whiteout('tmp/a.tgz')]
      ]
    );
    const findings = check(
      'FROM alpine\nRUN wget -O /tmp/a.tgz https://e.com/a.tgz && tar -xzf /tmp/a.tgz -C /tmp/src\nRUN rm -rf /tmp/src /tmp/a.tgz\n',
      {
        anatomy
      }
    );
    expect(findings.map((found) => [found.rule, found.line, found.savingsBytes])).toEqual([['join-runs', 3, 3 * MB + MANY_BYTES]]);
    expect(findings[0]!.message).toContain('(/tmp/a.tgz, /tmp/src)');
  });

  test('a report without per-pair totals (an older version) sums its listed paths', () => {
    const anatomy = analysed([2, 4], [[file('app/big', 5 * MB)], [whiteout('app/big')]]);
    const { byLines: _byLines, ...older } = anatomy.wasted;
    const findings = check('FROM alpine\nCOPY big /app/big\nENV A=1\nRUN rm /app/big\n', { anatomy: { ...anatomy, wasted: older } });
    expect(findings.map((found) => [found.rule, found.savingsBytes])).toEqual([['delete-in-later-run', 5 * MB]]);
  });

  test('a RUN that writes files again without deleting them "replaces" them, and the fix says to write them once', () => {
    const anatomy = analysed([2, 3, 4], [[file('opt/tool/lib.so', 2 * MB)], [file('etc/x', 1)], [file('opt/tool/lib.so', 2 * MB)]]);
    const [found] = check('FROM debian\nRUN ./install.sh /opt/tool\nCOPY x /etc/x\nRUN ./install.sh --upgrade /opt/tool\n', { anatomy });
    expect([found!.rule, found!.savingsBytes]).toEqual(['delete-in-later-run', 2 * MB]);
    expect(found!.message).toBe('This RUN replaces 2.0 MB of what line 2 created (/opt/tool/lib.so): the bytes still ship in the earlier layer.');
    expect(found!.fix).toContain('Write these files once');
  });
});

describe('copy-over-run', () => {
  const dockerfile = 'FROM node:20-slim\nWORKDIR /app\nRUN npm ci\nCOPY . /app\n';

  test("a COPY that replaces the files a RUN made: the RUN's copies, exactly", () => {
    const modules = Array.from({ length: 300 }, (_, index) => file(`app/node_modules/pkg${index}/index.js`, 20_000));
    const anatomy = analysed([3, 4], [modules, [...modules, file('app/server.js', 900)]]);
    const findings = check(dockerfile, { anatomy });
    expect(findings.map((found) => [found.rule, found.line, found.savingsBytes, found.measured, found.severity])).toEqual([
      ['copy-over-run', 4, 300 * 20_000, true, 'warning']
    ]);
    expect(findings[0]!.message).toMatch(
      /^This COPY replaces 6\.0 MB of files the RUN on line 3 made \(\/app\/node_modules\/pkg\d+\/index\.js, .*, \.\.\.\): the RUN's copies still ship in its layer\.$/
    );
    expect(findings[0]!.fix).toContain('.dockerignore');
    expect(findings[0]!.fix).toContain('copy first and run after');
  });

  test('a configuration file put in place of a package default is below the threshold', () => {
    const anatomy = analysed([2, 3], [[file('etc/nginx/nginx.conf', 1500), file('usr/sbin/nginx', 1_200_000)], [file('etc/nginx/nginx.conf', 900)]]);
    expect(
      check(
        'FROM debian\nRUN apt-get install -y --no-install-recommends nginx && rm -rf /var/lib/apt/lists/*\nCOPY nginx.conf /etc/nginx/nginx.conf\n',
        { anatomy }
      )
    ).toEqual([]);
  });

  test('a COPY over an earlier COPY (package.json, then the whole context) is the caching pattern: no finding', () => {
    const anatomy = analysed([2, 3], [[file('app/package.json', 2 * MB)], [file('app/package.json', 2 * MB), file('app/index.js', 10)]]);
    expect(check('FROM node:20-slim\nCOPY package.json /app/\nCOPY . /app/\n', { anatomy })).toEqual([]);
  });

  test('ignored like any rule', () => {
    const anatomy = analysed([3, 4], [[file('app/node_modules/a.js', 2 * MB)], [file('app/node_modules/a.js', 2 * MB)]]);
    expect(check(dockerfile, { anatomy, ignore: ['copy-over-run'] })).toEqual([]);
    expect(check(dockerfile.replace('COPY', '# footprint-ignore: copy-over-run\nCOPY'), { anatomy: null })).toEqual([]);
  });
});

describe('fixes and the builder', () => {
  const aptLists = 'FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n';
  const chmod = 'FROM debian\nCOPY app/ /srv/app/\nRUN chmod +x /srv/app/run.sh\n';

  test.each<[RuleInput['builder'], boolean]>([
    [undefined, true],
    ['classic', true],
    ['buildkit', false]
  ])('apt-lists-left with builder %s: the rm first, the cache mount after it', (builder, marked) => {
    const [found] = check(aptLists, { builder });
    expect(found!.fix.startsWith('End the same RUN with `&& rm -rf /var/lib/apt/lists/*`')).toBe(true);
    expect(found!.fix).toContain('RUN --mount=type=cache,target=/var/lib/apt/lists,sharing=locked');
    expect(found!.fix.includes('(needs BuildKit)')).toBe(marked);
  });

  test('a chmod of copied files: without BuildKit the mode comes from the build context, COPY --chmod is marked', () => {
    const [found] = check(chmod);
    expect(found!.fix).toMatch(/^Give the files their mode before they are copied: in the build context \(git keeps the executable bit/);
    expect(found!.fix).toContain('`COPY --chown=user:group ...`');
    expect(found!.fix).toMatch(/Or set both while copying: `COPY --chown=user:group --chmod=755 \.\.\.` \(needs BuildKit\)\.$/);
  });

  test('a chmod of copied files with BuildKit: COPY --chmod', () => {
    const [found] = check(chmod, { builder: 'buildkit' });
    expect(found!.fix).toBe(
      'Set owner and mode while copying (`COPY --chown=user:group --chmod=755 ...`) instead of changing the files in a later RUN, which copies every one of them into a new layer.'
    );
  });

  test('a chown only of copied files: COPY --chown, which the classic builder has too', () => {
    const [found] = check('FROM node:20-slim\nCOPY app/ /srv/app/\nRUN chown -R node:node /srv/app\n');
    expect(found!.fix).toContain('`COPY --chown=user:group ...`, which every builder supports');
    expect(found!.fix).not.toContain('--chmod');
    expect(found!.fix).not.toContain('BuildKit');
  });

  const fixtures = resolve(import.meta.dirname, '..', 'fixtures', 'dockerfiles');
  const texts = [
    ...readdirSync(fixtures).map((name) => readFileSync(join(fixtures, name), 'utf8')),
    aptLists,
    chmod,
    'FROM alpine\nADD https://e.com/x.zip /opt/\nRUN unzip /opt/x.zip -d /srv\n',
    'FROM debian\nADD https://example.com/tool /usr/local/bin/tool\nRUN chmod +x /usr/local/bin/tool\n'
  ];
  test.each<RuleInput['builder']>([undefined, 'classic'])('without BuildKit known (%s), every BuildKit-only fix is marked', (builder) => {
    const fixes = texts.flatMap((text) => check(text, { builder, hasDockerignore: false }).map((found) => found.fix));
    expect(fixes.length).toBeGreaterThan(10);
    for (const fix of fixes) {
      const buildkitOnly = /(?:COPY|ADD) [^`]*--chmod|RUN --mount|--checksum|--link|<<EOF/.test(fix);
      if (buildkitOnly) expect(fix).toContain('(needs BuildKit)');
    }
  });
});

describe('add-remote-archive', () => {
  test('unpacks where the later RUN did, with tar flags that fit the archive', () => {
    const [found, ...rest] = check(
      'FROM alpine\nADD https://example.com/releases/tool-1.2.3-linux-amd64.tar.gz /tmp/\nRUN tar -xzf /tmp/tool-1.2.3-linux-amd64.tar.gz -C /usr/local/bin && rm /tmp/tool-1.2.3-linux-amd64.tar.gz\n'
    );
    expect([found!.rule, found!.line, found!.severity]).toEqual(['add-remote-archive', 2, 'warning']);
    expect(rest.map((other) => other.rule)).toEqual(['delete-in-later-run']);
    expect(found!.message).toContain('line 3 unpacks it into /usr/local/bin');
    expect(found!.fix.split('\n').slice(1)).toEqual([
      'RUN curl -fsSL https://example.com/releases/tool-1.2.3-linux-amd64.tar.gz -o /tmp/tool-1.2.3-linux-amd64.tar.gz \\',
      '    && mkdir -p /usr/local/bin && tar -xzf /tmp/tool-1.2.3-linux-amd64.tar.gz -C /usr/local/bin \\',
      '    && rm /tmp/tool-1.2.3-linux-amd64.tar.gz'
    ]);
    expect(found!.fix.split('\n')[0]).toContain('The RUN needs curl in the image');
    expect(found!.fix.split('\n')[0]).toContain('`ADD --checksum=sha256:<digest>` pins the download (needs BuildKit).');
  });

  test('a zip is unzipped (and the image needs unzip), into the folder the RUN named', () => {
    const [found] = check('FROM debian\nADD https://e.com/x.zip /opt/\nRUN unzip -q /opt/x.zip -d /srv/x && rm /opt/x.zip\n');
    expect(found!.fix).toContain('&& mkdir -p /srv/x && unzip -q /tmp/x.zip -d /srv/x \\');
    expect(found!.fix).toContain('The RUN needs curl and unzip in the image');
    expect(found!.fix).not.toContain('tar ');
  });

  test('a tar.xz named relative to WORKDIR and unpacked after a cd', () => {
    const [found] = check('FROM debian\nWORKDIR /build\nADD https://e.com/node-v20.tar.xz ./\nRUN cd /opt && tar xJf /build/node-v20.tar.xz\n');
    expect(found!.fix).toContain('&& mkdir -p /opt && tar -xJf /tmp/node-v20.tar.xz -C /opt \\');
    expect(found!.fix).toContain('The RUN needs curl and xz in the image');
  });

  test('a zstd tar and a single gzip file', () => {
    const [zst] = check('FROM debian\nADD https://e.com/a.tar.zst /tmp/a.tar.zst\nRUN tar --zstd -xf /tmp/a.tar.zst -C /opt/a\n');
    expect(zst!.fix).toContain('zstd -dc /tmp/a.tar.zst | tar -xf - -C /opt/a');
    const [gz] = check('FROM debian\nADD https://e.com/tool.gz /usr/local/bin/\nRUN gunzip /usr/local/bin/tool.gz && chmod +x /usr/local/bin/tool\n');
    expect(gz!.fix).toContain('gzip -dc /tmp/tool.gz > /usr/local/bin/tool');
  });

  test('with BuildKit the checksum pin is offered plainly', () => {
    const [found] = check('FROM alpine\nADD https://e.com/a.tgz /tmp/\nRUN tar -xzf /tmp/a.tgz -C /opt\n', { builder: 'buildkit' });
    expect(found!.fix).not.toContain('needs BuildKit');
    expect(found!.fix).toContain('`ADD --checksum=sha256:<digest>` pins the download.');
  });
});

describe('a downloaded file made executable in a later RUN', () => {
  const text = 'FROM debian\nADD https://example.com/tool /usr/local/bin/tool\nRUN chmod +x /usr/local/bin/tool\n';

  test('without BuildKit: curl and chmod in one RUN, ADD --chmod marked', () => {
    const findings = check(text);
    expect(findings.map((found) => [found.rule, found.line])).toEqual([['delete-in-later-run', 3]]);
    expect(findings[0]!.fix).toBe(
      'Download and set the mode in one RUN, in place of the ADD: `RUN curl -fsSLo /usr/local/bin/tool https://example.com/tool && chmod 755 /usr/local/bin/tool`' +
        ' (the image needs curl; without it, download in a build stage and COPY --from it, which keeps the mode).' +
        ' Or keep the ADD and set the mode while downloading: `ADD --chmod=755 https://example.com/tool /usr/local/bin/tool` (needs BuildKit).'
    );
  });

  test('with BuildKit: ADD --chmod offered plainly', () => {
    expect(check(text, { builder: 'buildkit' })[0]!.fix).toMatch(/`ADD --chmod=755 https:\/\/example\.com\/tool \/usr\/local\/bin\/tool`\.$/);
  });
});
