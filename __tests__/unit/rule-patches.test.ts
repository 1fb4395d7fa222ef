/**
 * The patches the size rules give with their findings: the exact text of each fix, and that each one, applied,
 * leaves a Dockerfile that parses without problems and on whose lines the same rule no longer fires. Where the change
 * is not mechanical or not safe (exec form, heredocs, flags in variables, shell comments, RUNs not side by side),
 * there is no patch.
 */
import { describe, expect, test } from '@jest/globals';
import { applyPatch } from '../../src/advise/patch.js';
import { checkRules } from '../../src/advise/rules/index.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import type { Finding } from '../../src/model/report.js';

function findingsOf(text: string): Finding[] {
  return checkRules({ dockerfile: parseDockerfile(text), anatomy: null, hasDockerignore: true, ignore: [] });
}

function findingOf(text: string, rule: string): Finding {
  const found = findingsOf(text).find((finding) => finding.rule === rule);
  expect(found).toBeDefined();
  return found!;
}

/** The finding's patch applied: the Dockerfile parses without problems and the rule does not fire on the patched lines. */
function expectFixed(text: string, finding: Finding): string {
  const patch = finding.patch!;
  const patched = applyPatch(text, patch);
  expect(patched).not.toBeNull();
  const dockerfile = parseDockerfile(patched!.text);
  expect(dockerfile.problems).toEqual([]);
  const last = patch.line + patch.text.split('\n').length - 1;
  const again = checkRules({ dockerfile, anatomy: null, hasDockerignore: true, ignore: [] });
  expect(again.filter((found) => found.rule === finding.rule && found.line! >= patch.line && found.line! <= last)).toEqual([]);
  return patched!.text;
}

/** The rule's patch, checked by applying it. */
function patchOf(text: string, rule: string) {
  const finding = findingOf(text, rule);
  expect(finding.patch).not.toBeNull();
  expectFixed(text, finding);
  return finding.patch!;
}

const APT = 'FROM debian:12-slim\n';

describe('apt-lists-left appends the removal of the lists', () => {
  test.each<[string, string, { line: number; endLine: number; text: string }]>([
    [
      'a single line',
      `${APT}RUN apt-get update && apt-get install -y curl\n`,
      { line: 2, endLine: 2, text: 'RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*' }
    ],
    [
      'continued lines: a new continued line, indented like the last',
      `${APT}RUN apt-get update \\\n    && apt-get install -y \\\n      curl git\nCMD ["bash"]\n`,
      { line: 2, endLine: 4, text: 'RUN apt-get update \\\n    && apt-get install -y \\\n      curl git \\\n    && rm -rf /var/lib/apt/lists/*' }
    ],
    [
      '# escape=` continues with a backtick',
      `# escape=\`\n${APT}RUN apt-get update \`\n  && apt-get install -y curl\n`,
      { line: 3, endLine: 4, text: 'RUN apt-get update `\n  && apt-get install -y curl `\n  && rm -rf /var/lib/apt/lists/*' }
    ],
    [
      'a comment line inside the continuation and trailing blanks are kept out of the way',
      `${APT}RUN apt-get update \\\n  # the tools\n  && apt-get install -y curl   \n`,
      { line: 2, endLine: 4, text: 'RUN apt-get update \\\n  # the tools\n  && apt-get install -y curl \\\n  && rm -rf /var/lib/apt/lists/*' }
    ],
    [
      'flags and a subshell at the end',
      `${APT}RUN --network=host apt-get update && (cd /opt && apt-get install -y curl)\n`,
      { line: 2, endLine: 2, text: 'RUN --network=host apt-get update && (cd /opt && apt-get install -y curl) && rm -rf /var/lib/apt/lists/*' }
    ],
    [
      'CRLF line ends',
      `${APT}RUN apt-get update \\\r\n && apt-get install -y curl\r\nRUN true\r\n`,
      { line: 2, endLine: 3, text: 'RUN apt-get update \\\n && apt-get install -y curl \\\n && rm -rf /var/lib/apt/lists/*' }
    ]
  ])('%s', (_name, text, expected) => {
    expect(patchOf(text, 'apt-lists-left')).toEqual(expected);
  });
});

describe('apt-no-install-recommends inserts the flag after each install', () => {
  test.each<[string, string, string]>([
    ['a single line', `${APT}RUN apt-get install -y curl\n`, 'RUN apt-get install --no-install-recommends -y curl'],
    [
      'several installs, options before install, one already without recommends',
      `${APT}RUN apt-get update && apt-get -y install curl && apt install -y git && apt-get install -y --no-install-recommends jq\n`,
      'RUN apt-get update && apt-get -y install --no-install-recommends curl && apt install --no-install-recommends -y git && apt-get install -y --no-install-recommends jq'
    ],
    [
      'continued lines keep their layout',
      `${APT}RUN apt-get update \\\n    && apt-get install -y \\\n      curl \\\n    && rm -rf /var/lib/apt/lists/*\n`,
      'RUN apt-get update \\\n    && apt-get install --no-install-recommends -y \\\n      curl \\\n    && rm -rf /var/lib/apt/lists/*'
    ],
    [
      '# escape=` and a backslash the shell reads',
      `# escape=\`\n${APT}RUN apt-get -o Dpkg::Options::=--force-confold install -y curl \`\n  && echo a\\ b\n`,
      'RUN apt-get -o Dpkg::Options::=--force-confold install --no-install-recommends -y curl `\n  && echo a\\ b'
    ],
    [
      'a shell comment at the end does not stop an insertion',
      `${APT}RUN apt-get install -y curl # tools\n`,
      'RUN apt-get install --no-install-recommends -y curl # tools'
    ]
  ])('%s', (_name, text, expected) => {
    expect(patchOf(text, 'apt-no-install-recommends').text).toBe(expected);
  });
});

describe('pip-no-cache-dir inserts the flag after each install', () => {
  test.each<[string, string, string]>([
    ['pip', 'FROM python:3.12\nRUN pip install flask\n', 'RUN pip install --no-cache-dir flask'],
    [
      'pip3, python -m pip, and a command with PIP_NO_CACHE_DIR set left alone',
      'FROM python:3.12\nRUN pip3 install -U pip && python3 -m pip install -r requirements.txt && PIP_NO_CACHE_DIR=1 pip install x\n',
      'RUN pip3 install --no-cache-dir -U pip && python3 -m pip install --no-cache-dir -r requirements.txt && PIP_NO_CACHE_DIR=1 pip install x'
    ],
    [
      'continued lines, a requirements file in a variable',
      'FROM python:3.12\nARG REQS=requirements.txt\nRUN pip install \\\n      -r $REQS \\\n  && pip install --no-cache-dir gunicorn\n',
      'RUN pip install --no-cache-dir \\\n      -r $REQS \\\n  && pip install --no-cache-dir gunicorn'
    ],
    ['# escape=`', '# escape=`\nFROM python:3.12\nRUN pip install `\n    flask\n', 'RUN pip install --no-cache-dir `\n    flask']
  ])('%s', (_name, text, expected) => {
    expect(patchOf(text, 'pip-no-cache-dir').text).toBe(expected);
  });
});

describe('apk-no-cache adds --no-cache and drops a separate apk update', () => {
  test.each<[string, string, string]>([
    ['apk add', 'FROM alpine:3.20\nRUN apk add curl\n', 'RUN apk add --no-cache curl'],
    [
      'apk update && apk add, several adds',
      'FROM alpine:3.20\nRUN apk update && apk add curl && apk add --no-cache git && apk add jq\n',
      'RUN apk add --no-cache curl && apk add --no-cache git && apk add --no-cache jq'
    ],
    [
      'continued lines: the update line goes, the rest stays as written',
      'FROM alpine:3.20\nRUN set -ex \\\n  && apk update \\\n  && apk add --virtual .build-deps gcc \\\n  && make \\\n  && apk del .build-deps\n',
      'RUN set -ex \\\n  && apk add --no-cache --virtual .build-deps gcc \\\n  && make \\\n  && apk del .build-deps'
    ],
    ['# escape=`', '# escape=`\nFROM alpine:3.20\nRUN apk update `\n && apk add curl\n', 'RUN apk add --no-cache curl']
  ])('%s', (_name, text, expected) => {
    expect(patchOf(text, 'apk-no-cache').text).toBe(expected);
  });

  test('the fix text says to drop apk update only when the RUN runs one', () => {
    expect(findingOf('FROM alpine\nRUN apk add curl\n', 'apk-no-cache').fix).not.toContain('apk update');
    expect(findingOf('FROM alpine\nRUN apk update && apk add curl\n', 'apk-no-cache').fix).toContain('drop the separate `apk update`');
  });
});

describe('yum-cache-left appends the fix text command', () => {
  test.each<[string, string, string]>([
    ['yum', 'FROM centos:7\nRUN yum install -y gcc\n', 'RUN yum install -y gcc && yum clean all && rm -rf /var/cache/yum'],
    [
      'dnf, continued',
      'FROM fedora:40\nRUN dnf install -y \\\n      gcc make\n',
      'RUN dnf install -y \\\n      gcc make \\\n    && dnf clean all && rm -rf /var/cache/dnf'
    ],
    ['microdnf', 'FROM ubi9-minimal\nRUN microdnf install -y tar\n', 'RUN microdnf install -y tar && microdnf clean all && rm -rf /var/cache/dnf']
  ])('%s', (_name, text, expected) => {
    const finding = findingOf(text, 'yum-cache-left');
    expect(finding.fix).toContain(expected.slice(expected.indexOf('&& ') + 3));
    expect(patchOf(text, 'yum-cache-left').text).toBe(expected);
  });
});

describe('join-runs joins the RUNs it names', () => {
  test('three RUNs with a comment and a blank line between: one RUN from the first line to the last', () => {
    const text =
      'FROM debian:12-slim\nRUN curl -fsSL -o /tmp/tool.tgz https://example.com/tool.tgz\n# unpack\n\nRUN tar -xzf /tmp/tool.tgz -C /usr/local\nRUN rm /tmp/tool.tgz\nCMD ["tool"]\n';
    expect(patchOf(text, 'join-runs')).toEqual({
      line: 2,
      endLine: 6,
      text: 'RUN curl -fsSL -o /tmp/tool.tgz https://example.com/tool.tgz \\\n    && tar -xzf /tmp/tool.tgz -C /usr/local \\\n    && rm /tmp/tool.tgz'
    });
  });

  test('continued RUNs keep their lines; # escape=` joins with a backtick', () => {
    const text =
      '# escape=`\nFROM debian:12-slim\nRUN curl -o /tmp/a.tgz https://example.com/a.tgz `\n    && tar -xzf /tmp/a.tgz -C /opt\nRUN rm /tmp/a.tgz\n';
    expect(patchOf(text, 'join-runs').text).toBe(
      'RUN curl -o /tmp/a.tgz https://example.com/a.tgz `\n    && tar -xzf /tmp/a.tgz -C /opt `\n    && rm /tmp/a.tgz'
    );
  });

  test('the same flags on every RUN: kept once', () => {
    const text =
      'FROM debian\nRUN --mount=type=secret,id=token curl -o /tmp/a https://example.com/a\nRUN --mount=type=secret,id=token \\\n    rm /tmp/a\n';
    expect(patchOf(text, 'join-runs')).toEqual({
      line: 2,
      endLine: 4,
      text: 'RUN --mount=type=secret,id=token curl -o /tmp/a https://example.com/a \\\n    && rm /tmp/a'
    });
  });
});

describe('every patch of a realistic Dockerfile applies and fixes its finding', () => {
  test('each finding with a patch, one at a time', () => {
    const text = [
      'FROM python:3.12-slim',
      'RUN apt-get update \\',
      '    && apt-get install -y build-essential',
      'RUN pip install -r requirements.txt',
      'RUN curl -o /tmp/model.bin https://example.com/model.bin',
      'RUN rm /tmp/model.bin',
      ''
    ].join('\n');
    const patched = findingsOf(text).filter((finding) => finding.patch !== null);
    expect(patched.map((finding) => finding.rule).sort()).toEqual(['apt-lists-left', 'apt-no-install-recommends', 'join-runs', 'pip-no-cache-dir']);
    for (const finding of patched) expectFixed(text, finding);
  });
});

describe('no patch where the change is not mechanical or not safe', () => {
  test.each<[string, string, string]>([
    ['exec form', `${APT}RUN ["apt-get", "install", "-y", "curl"]\n`, 'apt-no-install-recommends'],
    ['exec form through sh -c', `${APT}RUN ["sh", "-c", "apt-get update && apt-get install -y curl"]\n`, 'apt-lists-left'],
    ['exec form pip', 'FROM python\nRUN ["pip", "install", "x"]\n', 'pip-no-cache-dir'],
    ['a heredoc', `${APT}RUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n`, 'apt-lists-left'],
    ['a heredoc install', `${APT}RUN <<EOF\napt-get install -y curl\nEOF\n`, 'apt-no-install-recommends'],
    ['pip flags in a variable', 'FROM python\nRUN pip install $PIP_FLAGS flask\n', 'pip-no-cache-dir'],
    ['apk flags in a variable', 'FROM alpine\nRUN apk add ${APK_OPTS} curl\n', 'apk-no-cache'],
    ['apt packages in a variable (it may hold options)', `${APT}RUN apt-get install -y $PACKAGES\n`, 'apt-no-install-recommends'],
    ['a quoted subcommand', `${APT}RUN apt-get "install" -y curl\n`, 'apt-no-install-recommends'],
    ['a shell comment at the end would swallow the append', `${APT}RUN apt-get update && apt-get install -y curl # tools\n`, 'apt-lists-left'],
    ['a script ending in ;', `${APT}RUN apt-get update; apt-get install -y curl;\n`, 'apt-lists-left'],
    ['an exit before the end', `${APT}RUN apt-get update && apt-get install -y curl && exit 0\n`, 'apt-lists-left'],
    ['an unclosed quote', 'FROM centos\nRUN yum install -y "gcc\n', 'yum-cache-left'],
    ['apk update before apk upgrade (it needs the stored index)', 'FROM alpine\nRUN apk update && apk upgrade && apk add curl\n', 'apk-no-cache'],
    ['apk update alone', 'FROM alpine\nRUN apk update\n', 'apk-no-cache'],
    ['apk update after ||', 'FROM alpine\nRUN true || apk update && apk add curl\n', 'apk-no-cache'],
    ['a later RUN installs from the lists this RUN fetched', `${APT}RUN apt-get update\nRUN apt-get install -y curl\n`, 'apt-lists-left'],
    [
      'a later stage built on this one installs from its lists',
      `${APT.replace('\n', ' AS base\n')}RUN apt-get update && apt-get install -y curl\nFROM base\nRUN apt-get install -y git\n`,
      'apt-lists-left'
    ],
    ['a SHELL that is not POSIX', `${APT}SHELL ["pwsh", "-Command"]\nRUN apt-get update && apt-get install -y curl\n`, 'apt-lists-left'],
    ['join-runs with another RUN between', `${APT}RUN curl -o /tmp/a https://example.com/a\nRUN echo hi\nRUN rm /tmp/a\n`, 'join-runs'],
    ['join-runs after a cd', `${APT}RUN cd /tmp && curl -o /tmp/a https://example.com/a\nRUN rm /tmp/a\n`, 'join-runs'],
    ['join-runs before a later ||', `${APT}RUN curl -o /tmp/a https://example.com/a\nRUN rm /tmp/a || true\n`, 'join-runs'],
    ['join-runs with flags that differ', `${APT}RUN --mount=type=secret,id=t curl -o /tmp/a https://example.com/a\nRUN rm /tmp/a\n`, 'join-runs'],
    ['join-runs with a heredoc', `${APT}RUN <<EOF\ncurl -o /tmp/a https://example.com/a\nEOF\nRUN rm /tmp/a\n`, 'join-runs'],
    ['join-runs with a shell comment', `${APT}RUN curl -o /tmp/a https://example.com/a # fetch\nRUN rm /tmp/a\n`, 'join-runs']
  ])('%s', (_name, text, rule) => {
    expect(parseDockerfile(text).problems).toEqual([]);
    expect(findingOf(text, rule).patch).toBeNull();
  });

  test('join-runs across a COPY: not a join-runs finding, and delete-in-later-run gives no patch', () => {
    const findings = findingsOf(`${APT}RUN curl -o /tmp/a https://example.com/a\nCOPY app /app\nRUN rm /tmp/a\n`);
    expect(findings.map((finding) => [finding.rule, finding.patch])).toEqual([['delete-in-later-run', null]]);
  });
});
