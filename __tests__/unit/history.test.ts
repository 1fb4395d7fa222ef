import { describe, expect, test } from '@jest/globals';
import { INSTRUCTION_MAX_CHARS, instructionOf, layerOrigins, type LayerOrigin } from '../../src/analyse/history.js';
import type { ImageConfigJson } from '../../src/analyse/model.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';

type HistoryEntry = NonNullable<ImageConfigJson['history']>[number];

describe('instructionOf', () => {
  test.each<[string, string]>([
    // The classic builder (Docker 20.10), as `docker image inspect` shows it.
    [
      '/bin/sh -c #(nop) COPY file:4b32bb1051280adbea274290f05a337c79ea99473f16a57d29aa3f8ef8390e3f in /app/ ',
      'COPY file:4b32bb1051280adbea274290f05a337c79ea99473f16a57d29aa3f8ef8390e3f in /app/'
    ],
    [
      '/bin/sh -c #(nop) COPY dir:3ada17e5616166a114aa8044fa7002f3f5399a0567852b51a37c23478d018770 in /app/dir ',
      'COPY dir:3ada17e5616166a114aa8044fa7002f3f5399a0567852b51a37c23478d018770 in /app/dir'
    ],
    [
      '/bin/sh -c #(nop) ADD file:4b32bb1051280adbea274290f05a337c79ea99473f16a57d29aa3f8ef8390e3f in /opt/ ',
      'ADD file:4b32bb1051280adbea274290f05a337c79ea99473f16a57d29aa3f8ef8390e3f in /opt/'
    ],
    ['/bin/sh -c #(nop)  CMD ["sh"]', 'CMD ["sh"]'],
    ['/bin/sh -c #(nop)  ARG V', 'ARG V'],
    ['/bin/sh -c #(nop)  ENV X=1', 'ENV X=1'],
    ['/bin/sh -c #(nop) WORKDIR /app', 'WORKDIR /app'],
    [
      '/bin/sh -c mkdir -p /usr/lib && dd if=/dev/urandom of=/usr/lib/fat.bin bs=1M count=40 iflag=fullblock 2>/dev/null',
      'RUN mkdir -p /usr/lib && dd if=/dev/urandom of=/usr/lib/fat.bin bs=1M count=40 iflag=fullblock 2>/dev/null'
    ],
    ['|1 V=3 /bin/sh -c dd if=/dev/zero of=/big bs=1k count=10 &&     echo   done $X', 'RUN dd if=/dev/zero of=/big bs=1k count=10 && echo done $X'],
    ['|1 V=3 /bin/sh -c rm /big', 'RUN rm /big'],
    ['|1 V=3 sh -c echo hi > /x', 'RUN sh -c echo hi > /x'],
    ['|2 A=1 B=2 /bin/sh -c make', 'RUN make'],
    ['|2 A=with space B=2 /bin/sh -c make', 'RUN make'],
    ['|1 V=3 sh -c exec /bin/sh -c foo', 'RUN sh -c exec /bin/sh -c foo'],
    ['/bin/sh -c echo a     && echo   b > /ab', 'RUN echo a && echo b > /ab'],
    // After `SHELL ["/bin/sh", "-e", "-c"]` the classic builder spells every entry with that shell.
    ['/bin/sh -e -c #(nop)  SHELL [/bin/sh -e -c]', 'SHELL [/bin/sh -e -c]'],
    [
      '/bin/sh -e -c #(nop) COPY dir:e30d0c358ff38f151f5145b379a2ab441af35300dbbba3db52681e91da063fe7 in . ',
      'COPY dir:e30d0c358ff38f151f5145b379a2ab441af35300dbbba3db52681e91da063fe7 in .'
    ],
    ['/bin/sh -e -c echo shell > /s', 'RUN /bin/sh -e -c echo shell > /s'],
    ['/bin/bash -o pipefail -c curl -fsS x | sh', 'RUN /bin/bash -o pipefail -c curl -fsS x | sh'],
    ['cmd /S /C #(nop)  CMD ["cmd"]', 'CMD ["cmd"]'],
    ['cmd /S /C powershell -Command Write-Host hi', 'RUN cmd /S /C powershell -Command Write-Host hi'],
    // BuildKit (Docker 20.10 with DOCKER_BUILDKIT=1, and later).
    ['COPY dir /d # buildkit', 'COPY dir /d'],
    ['COPY app.py /app/ # buildkit', 'COPY app.py /app/'],
    ['COPY /d /e # buildkit', 'COPY /d /e'],
    ['COPY app.py dir/ /multi/ # buildkit', 'COPY app.py dir/ /multi/'],
    ['COPY app.py /with space/ # buildkit', 'COPY app.py /with space/'],
    ['ADD app.py /opt/ # buildkit', 'ADD app.py /opt/'],
    ['ENV X=1', 'ENV X=1'],
    ['WORKDIR /app', 'WORKDIR /app'],
    ['CMD ["sh"]', 'CMD ["sh"]'],
    ['RUN /bin/sh -c apk add x # buildkit', 'RUN apk add x'],
    ['RUN |1 V=2 /bin/sh -c echo # buildkit', 'RUN echo'],
    ['RUN |2 A=1 B=2 /bin/sh -c make   all # buildkit', 'RUN make all'],
    ['RUN /bin/sh -c echo heredoc\nmore\n # buildkit', 'RUN echo heredoc more'],
    ['RUN /bin/bash -o pipefail -c make # buildkit', 'RUN /bin/bash -o pipefail -c make'],
    ['RUN ["a","b"]', 'RUN ["a","b"]'],
    ['ADD alpine-minirootfs-3.19.1-x86_64.tar.gz / # buildkit', 'ADD alpine-minirootfs-3.19.1-x86_64.tar.gz /'],
    // Layers other tools made.
    ['', ''],
    ["# debian.sh --arch 'amd64' out/ 'bookworm' '@1707091200'", "# debian.sh --arch 'amd64' out/ 'bookworm' '@1707091200'"],
    ['jib-maven-plugin:3.4.0', 'jib-maven-plugin:3.4.0']
  ])('%j', (createdBy, instruction) => {
    expect(instructionOf(createdBy)).toBe(instruction);
  });
});

/** History entries from `created_by` strings; a leading `-` marks an empty layer. */
function history(...createdBy: string[]): ImageConfigJson {
  return {
    history: createdBy.map((text): HistoryEntry => (text.startsWith('-') ? { created_by: text.slice(1), empty_layer: true } : { created_by: text }))
  };
}

function layers(config: ImageConfigJson): number {
  return (config.history ?? []).filter((entry) => entry.empty_layer !== true).length;
}

const base = (instruction: string | null): LayerOrigin => ({ fromBase: true, instruction, line: null, stage: null });
const own = (line: number, instruction: string, stage = '#0'): LayerOrigin => ({ fromBase: false, instruction, line, stage });
const unknown = (instruction: string | null): LayerOrigin => ({ fromBase: null, instruction, line: null, stage: null });

// Real images: these Dockerfiles were built with Docker 20.10's classic builder and
// with BuildKit (`DOCKER_BUILDKIT=1`), and the histories copied from `docker image inspect`.
const CLASSIC_DOCKERFILE = `ARG V=2
FROM footprint-test/busybox:1
ARG V
ENV X=1
WORKDIR /app
COPY app.py /app/
COPY dir /app/dir
ADD app.py /opt/
RUN dd if=/dev/zero of=/big bs=1k count=10 && \\
    echo   done $X
RUN rm /big
RUN ["sh", "-c", "echo hi > /x"]
WORKDIR /app
RUN echo v=$V > /v
CMD ["sh"]
`;
const CLASSIC_HISTORY: ImageConfigJson = {
  history: [
    { comment: 'Imported from -' },
    { created_by: '/bin/sh -c #(nop)  ARG V', empty_layer: true },
    { created_by: '/bin/sh -c #(nop)  ENV X=1', empty_layer: true },
    { created_by: '/bin/sh -c #(nop) WORKDIR /app' },
    { created_by: '/bin/sh -c #(nop) COPY file:4b32bb1051280adbea274290f05a337c79ea99473f16a57d29aa3f8ef8390e3f in /app/ ' },
    { created_by: '/bin/sh -c #(nop) COPY dir:3ada17e5616166a114aa8044fa7002f3f5399a0567852b51a37c23478d018770 in /app/dir ' },
    { created_by: '/bin/sh -c #(nop) ADD file:4b32bb1051280adbea274290f05a337c79ea99473f16a57d29aa3f8ef8390e3f in /opt/ ' },
    { created_by: '|1 V=3 /bin/sh -c dd if=/dev/zero of=/big bs=1k count=10 &&     echo   done $X' },
    { created_by: '|1 V=3 /bin/sh -c rm /big' },
    { created_by: '|1 V=3 sh -c echo hi > /x' },
    { created_by: '/bin/sh -c #(nop) WORKDIR /app', empty_layer: true },
    { created_by: '|1 V=3 /bin/sh -c echo v=$V > /v' },
    { created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true }
  ]
};
const CLASSIC_ORIGINS: LayerOrigin[] = [
  base(null),
  own(5, 'WORKDIR /app'),
  own(6, 'COPY app.py /app/'),
  own(7, 'COPY dir /app/dir'),
  own(8, 'ADD app.py /opt/'),
  own(9, 'RUN dd if=/dev/zero of=/big bs=1k count=10 && echo done $X'),
  own(11, 'RUN rm /big'),
  own(12, 'RUN ["sh", "-c", "echo hi > /x"]'),
  own(14, 'RUN echo v=$V > /v')
];

const BUILDKIT_DOCKERFILE = `FROM footprint-test/busybox:1 AS a
COPY dir /d
FROM a
ENV X=1
WORKDIR /app
COPY app.py /app/
COPY dir /app/dir
ADD app.py /opt/
COPY --from=a /d /e
WORKDIR /app
COPY --chown=0:0 app.py dir/ /multi/
CMD ["sh"]
`;
const BUILDKIT_HISTORY: ImageConfigJson = {
  history: [
    { comment: 'Imported from -' },
    { created_by: 'COPY dir /d # buildkit', comment: 'buildkit.dockerfile.v0' },
    { created_by: 'ENV X=1', empty_layer: true, comment: 'buildkit.dockerfile.v0' },
    { created_by: 'WORKDIR /app', comment: 'buildkit.dockerfile.v0' },
    { created_by: 'COPY app.py /app/ # buildkit', comment: 'buildkit.dockerfile.v0' },
    { created_by: 'COPY dir /app/dir # buildkit', comment: 'buildkit.dockerfile.v0' },
    { created_by: 'ADD app.py /opt/ # buildkit', comment: 'buildkit.dockerfile.v0' },
    { created_by: 'COPY /d /e # buildkit', comment: 'buildkit.dockerfile.v0' },
    { created_by: 'WORKDIR /app', comment: 'buildkit.dockerfile.v0' },
    { created_by: 'COPY app.py dir/ /multi/ # buildkit', comment: 'buildkit.dockerfile.v0' },
    { created_by: 'CMD ["sh"]', empty_layer: true, comment: 'buildkit.dockerfile.v0' }
  ]
};
const BUILDKIT_ORIGINS: LayerOrigin[] = [
  base(null),
  own(2, 'COPY dir /d', 'a'),
  own(5, 'WORKDIR /app', '#1'),
  own(6, 'COPY app.py /app/', '#1'),
  own(7, 'COPY dir /app/dir', '#1'),
  own(8, 'ADD app.py /opt/', '#1'),
  own(9, 'COPY --from=a /d /e', '#1'),
  own(10, 'WORKDIR /app', '#1'),
  own(11, 'COPY --chown=0:0 app.py dir/ /multi/', '#1')
];

const SHELL_DOCKERFILE = `# escape=\`
FROM footprint-test/busybox:1
WORKDIR /srv
RUN echo a \`
    # comment inside
    && echo   b > /ab
SHELL ["/bin/sh", "-e", "-c"]
RUN echo shell > /s
COPY . .
COPY ["app.py", "/with space/"]
`;
const SHELL_HISTORY: ImageConfigJson = {
  history: [
    { comment: 'Imported from -' },
    { created_by: '/bin/sh -c #(nop) WORKDIR /srv' },
    { created_by: '/bin/sh -c echo a     && echo   b > /ab' },
    { created_by: '/bin/sh -e -c #(nop)  SHELL [/bin/sh -e -c]', empty_layer: true },
    { created_by: '/bin/sh -e -c echo shell > /s' },
    { created_by: '/bin/sh -e -c #(nop) COPY dir:e30d0c358ff38f151f5145b379a2ab441af35300dbbba3db52681e91da063fe7 in . ' },
    { created_by: '/bin/sh -e -c #(nop) COPY file:4b32bb1051280adbea274290f05a337c79ea99473f16a57d29aa3f8ef8390e3f in /with space/ ' }
  ]
};
const SHELL_ORIGINS: LayerOrigin[] = [
  base(null),
  own(3, 'WORKDIR /srv'),
  own(4, 'RUN echo a && echo b > /ab'),
  own(8, 'RUN echo shell > /s'),
  own(9, 'COPY . .'),
  own(10, 'COPY ["app.py", "/with space/"]')
];

const FAT_HISTORY: ImageConfigJson = {
  history: [
    { comment: 'Imported from -' },
    { created_by: '/bin/sh -c mkdir -p /usr/lib && dd if=/dev/urandom of=/usr/lib/fat.bin bs=1M count=40 iflag=fullblock 2>/dev/null' }
  ]
};
const FAT_BASE_INSTRUCTION = 'RUN mkdir -p /usr/lib && dd if=/dev/urandom of=/usr/lib/fat.bin bs=1M count=40 iflag=fullblock 2>/dev/null';

describe('layerOrigins', () => {
  test.each<[string, ImageConfigJson, string, string | null, LayerOrigin[]]>([
    ['real classic-builder history', CLASSIC_HISTORY, CLASSIC_DOCKERFILE, null, CLASSIC_ORIGINS],
    ['real BuildKit history, final stage FROM an earlier stage, COPY --from', BUILDKIT_HISTORY, BUILDKIT_DOCKERFILE, null, BUILDKIT_ORIGINS],
    ['real classic history: escape directive, comment in a continuation, SHELL, relative COPY', SHELL_HISTORY, SHELL_DOCKERFILE, null, SHELL_ORIGINS],
    [
      'a base image with layers of its own',
      {
        history: [
          ...FAT_HISTORY.history!,
          { created_by: 'WORKDIR /app', comment: 'buildkit.dockerfile.v0' },
          { created_by: 'COPY app.py /app/ # buildkit', comment: 'buildkit.dockerfile.v0' }
        ]
      },
      'FROM footprint-test/fat:1\nWORKDIR /app\nCOPY app.py /app/\n',
      null,
      [base(null), base(FAT_BASE_INSTRUCTION), own(2, 'WORKDIR /app'), own(3, 'COPY app.py /app/')]
    ],
    [
      'multi-stage: only the final stage and its FROM chain count',
      history('ADD alpine-minirootfs.tar.gz / # buildkit', '-CMD ["/bin/sh"]', 'COPY /out/app /usr/local/bin/app # buildkit'),
      'FROM golang:1.22 AS build\nWORKDIR /src\nRUN go build -o /out/app .\n\nFROM alpine:3.19\nCOPY --from=build /out/app /usr/local/bin/app\n',
      null,
      [base('ADD alpine-minirootfs.tar.gz /'), own(6, 'COPY --from=build /out/app /usr/local/bin/app', '#1')]
    ],
    [
      'a chain of three stages',
      history('/bin/sh -c #(nop) ADD file:aa in / ', '/bin/sh -c apk add gcc', '/bin/sh -c make', '/bin/sh -c #(nop) COPY file:bb in /usr/bin/ '),
      'FROM alpine AS deps\nRUN apk add gcc\nFROM deps AS build\nRUN make\nFROM build\nCOPY tool /usr/bin/\n',
      null,
      [base('ADD file:aa in /'), own(2, 'RUN apk add gcc', 'deps'), own(4, 'RUN make', 'build'), own(6, 'COPY tool /usr/bin/', '#2')]
    ],
    [
      'the target stage',
      history('/bin/sh -c #(nop) ADD file:aa in / ', '/bin/sh -c apk add gcc', '/bin/sh -c make'),
      'FROM alpine AS deps\nRUN apk add gcc\nFROM deps AS Build\nRUN make\nFROM build\nCOPY tool /usr/bin/\n',
      'build',
      [base('ADD file:aa in /'), own(2, 'RUN apk add gcc', 'deps'), own(4, 'RUN make', 'build')]
    ],
    [
      'ARG before FROM, build args in the history',
      history('ADD rootfs.tar.xz / # buildkit', '-ARG VERSION', 'RUN |1 VERSION=1.2 /bin/sh -c echo $VERSION > /v # buildkit'),
      'ARG BASE=alpine:3.19\nARG VERSION=1.0\nFROM ${BASE}\nARG VERSION\nRUN echo $VERSION > /v\n',
      null,
      [base('ADD rootfs.tar.xz /'), own(5, 'RUN echo $VERSION > /v')]
    ],
    [
      'ARG before FROM naming the stage to build on',
      history('ADD rootfs.tar.xz / # buildkit', 'RUN /bin/sh -c make # buildkit', 'RUN /bin/sh -c make install # buildkit'),
      'ARG STAGE=builder\nFROM alpine AS builder\nRUN make\nFROM ${STAGE}\nRUN make install\n',
      null,
      [base('ADD rootfs.tar.xz /'), own(3, 'RUN make', 'builder'), own(5, 'RUN make install', '#1')]
    ],
    [
      'heredoc RUNs',
      history(
        'ADD rootfs.tar.xz / # buildkit',
        'RUN /bin/sh -c apk add --no-cache curl\nrm -rf /tmp/*\n # buildkit',
        'RUN /bin/sh -c python3 <<PY\nprint("hi")\nPY # buildkit',
        'RUN /dev/pipes/EOF # buildkit',
        'RUN |1 V=2 /bin/sh -c echo $V\ndate\n # buildkit'
      ),
      '# syntax=docker/dockerfile:1\nFROM alpine\nRUN <<EOF\napk add --no-cache curl\nrm -rf /tmp/*\nEOF\nRUN python3 <<PY\nprint("hi")\nPY\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\nARG V=1\nRUN <<-"EOT"\n\techo $V\n\tdate\nEOT\n',
      null,
      [
        base('ADD rootfs.tar.xz /'),
        own(3, 'RUN <<EOF apk add --no-cache curl …'),
        own(7, 'RUN python3 <<PY'),
        own(10, 'RUN <<EOF #!/usr/bin/env python3 …'),
        own(15, 'RUN <<-"EOT" echo $V …')
      ]
    ],
    [
      'line continuations and comments inside them',
      history(
        '/bin/sh -c #(nop) ADD file:aa in / ',
        '/bin/sh -c apt-get update     && apt-get install -y         curl     && rm -rf /var/lib/apt/lists/*'
      ),
      'FROM debian\nRUN apt-get update \\\n    # refresh the lists\n\n    && apt-get install -y \\\n        curl \\\n    && rm -rf /var/lib/apt/lists/*\n',
      null,
      [base('ADD file:aa in /'), own(2, 'RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*')]
    ],
    [
      'RUN flags are shown, not compared',
      history('ADD rootfs / # buildkit', 'RUN /bin/sh -c pip install -r requirements.txt # buildkit'),
      'FROM python\nRUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n',
      null,
      [base('ADD rootfs /'), own(2, 'RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt')]
    ],
    [
      'a WORKDIR without a history entry, and one without a layer',
      history('/bin/sh -c #(nop) ADD file:aa in / ', '/bin/sh -c #(nop) WORKDIR /app', '-/bin/sh -c #(nop) WORKDIR /app', '/bin/sh -c make'),
      'FROM alpine\nWORKDIR /app\nWORKDIR /app\nWORKDIR /elsewhere\nRUN make\n',
      null,
      [base('ADD file:aa in /'), own(2, 'WORKDIR /app'), own(5, 'RUN make')]
    ],
    [
      'a RUN BuildKit recorded without a layer (no changes)',
      history('ADD rootfs / # buildkit', '-CMD ["sh"]', '-RUN /bin/sh -c true # buildkit', 'COPY a /a # buildkit'),
      'FROM alpine\nRUN true\nCOPY a /a\n',
      null,
      [base('ADD rootfs /'), own(3, 'COPY a /a')]
    ],
    [
      'a Dockerfile with no layers of its own',
      history('ADD rootfs / # buildkit', 'RUN /bin/sh -c apk add x # buildkit', '-CMD ["app"]'),
      'FROM mybase\nCMD ["app"]\n',
      null,
      [base('ADD rootfs /'), base('RUN apk add x')]
    ],
    [
      'FROM scratch: no base layers',
      history('COPY app /app # buildkit', '-ENTRYPOINT ["/app"]'),
      'FROM scratch\nCOPY app /app\nENTRYPOINT ["/app"]\n',
      null,
      [own(2, 'COPY app /app')]
    ],
    [
      'a Dockerfile that does not match the history: unknown rather than wrong',
      CLASSIC_HISTORY,
      'FROM alpine\nRUN apk add python3\nCOPY . /srv\n',
      null,
      CLASSIC_ORIGINS.map((_origin, index) =>
        unknown(index === 0 ? null : instructionOf(CLASSIC_HISTORY.history!.filter((entry) => entry.empty_layer !== true)[index]!.created_by!))
      )
    ],
    [
      'a COPY to another folder does not match',
      history('ADD rootfs / # buildkit', 'COPY a /a # buildkit'),
      'FROM alpine\nCOPY a /b\n',
      null,
      [unknown('ADD rootfs /'), unknown('COPY a /a')]
    ],
    [
      'a match that breaks off: the layers from there down are unknown',
      history('ADD rootfs / # buildkit', 'RUN /bin/sh -c something else # buildkit', 'RUN /bin/sh -c make # buildkit'),
      'FROM alpine\nRUN apk add x\nRUN make\n',
      null,
      [unknown('ADD rootfs /'), unknown('RUN something else'), own(3, 'RUN make')]
    ],
    [
      'a target stage that does not exist',
      history('ADD rootfs / # buildkit', 'RUN /bin/sh -c make # buildkit'),
      'FROM alpine\nRUN make\n',
      'nope',
      [unknown('ADD rootfs /'), unknown('RUN make')]
    ],
    [
      'an exec-form RUN with an absolute program',
      history('ADD rootfs / # buildkit', '/app/setup.sh --fast'),
      'FROM alpine\nRUN ["/app/setup.sh", "--fast"]\n',
      null,
      [base('ADD rootfs /'), own(2, 'RUN ["/app/setup.sh", "--fast"]')]
    ]
  ])('%s', (_name, config, dockerfile, target, origins) => {
    expect(layerOrigins(config, layers(config), parseDockerfile(dockerfile, { target }))).toEqual(origins);
  });

  test('without a Dockerfile every layer has its history instruction and nothing more', () => {
    expect(layerOrigins(CLASSIC_HISTORY, 9, null)).toEqual([
      unknown(null),
      unknown('WORKDIR /app'),
      unknown('COPY file:4b32bb1051280adbea274290f05a337c79ea99473f16a57d29aa3f8ef8390e3f in /app/'),
      unknown('COPY dir:3ada17e5616166a114aa8044fa7002f3f5399a0567852b51a37c23478d018770 in /app/dir'),
      unknown('ADD file:4b32bb1051280adbea274290f05a337c79ea99473f16a57d29aa3f8ef8390e3f in /opt/'),
      unknown('RUN dd if=/dev/zero of=/big bs=1k count=10 && echo done $X'),
      unknown('RUN rm /big'),
      unknown('RUN sh -c echo hi > /x'),
      unknown('RUN echo v=$V > /v')
    ]);
  });

  test.each<[string, number, LayerOrigin[]]>([
    ['more layers than history entries: the lowest are unknown', 4, [base(null), base(null), own(2, 'RUN apk add x'), own(3, 'COPY a /a')]],
    ['fewer layers than history entries: aligned from the top', 1, [own(3, 'COPY a /a')]]
  ])('%s', (_name, count, origins) => {
    const config = history('RUN /bin/sh -c apk add x # buildkit', 'COPY a /a # buildkit');
    expect(layerOrigins(config, count, parseDockerfile('FROM alpine\nRUN apk add x\nCOPY a /a\n'))).toEqual(origins);
  });

  test('no history at all: all unknown', () => {
    expect(layerOrigins({}, 2, parseDockerfile('FROM alpine\nRUN make\n'))).toEqual([unknown(null), unknown(null)]);
  });

  test('long instructions are shortened', () => {
    const command = `echo ${'x'.repeat(300)}`;
    const [, origin] = layerOrigins(
      history('ADD rootfs / # buildkit', `RUN /bin/sh -c ${command} # buildkit`),
      2,
      parseDockerfile(`FROM alpine\nRUN ${command}\n`)
    );
    expect(origin!.instruction).toHaveLength(INSTRUCTION_MAX_CHARS);
    expect(origin!.instruction!.endsWith('…')).toBe(true);
    expect(origin!.line).toBe(2);
  });
  test("the build's args pick the stage a FROM names", () => {
    const dockerfile = 'ARG FROM_STAGE=runtime\nFROM alpine AS build\nRUN make\nFROM alpine AS runtime\nCOPY x /x\nFROM ${FROM_STAGE}\nRUN echo hi\n';
    const config = history('ADD rootfs / # buildkit', 'RUN /bin/sh -c make # buildkit', 'RUN /bin/sh -c echo hi # buildkit');
    expect(layerOrigins(config, 3, parseDockerfile(dockerfile, { buildArgs: { FROM_STAGE: 'build' } }))).toEqual([
      base('ADD rootfs /'),
      own(3, 'RUN make', 'build'),
      own(7, 'RUN echo hi', '#2')
    ]);
    // Without them the default stage is the wrong one: nothing is guessed.
    expect(layerOrigins(config, 3, parseDockerfile(dockerfile))[1]).toEqual(unknown('RUN make'));
  });
});
