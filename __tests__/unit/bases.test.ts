import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { aptPackages, baseCandidates, javaVersion, siblingImage, tagParts, type BaseCandidate } from '../../src/advise/bases.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { parseReference } from '../../src/registry/reference.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function candidates(text: string, options: { target?: string; buildArgs?: Record<string, string> } = {}): BaseCandidate[] {
  const parsed = parseDockerfile(text, options);
  expect(parsed.final).not.toBeNull();
  return baseCandidates(parsed.final!, parsed);
}

const summary = (list: BaseCandidate[]) => list.map((candidate) => `${candidate.rule} ${candidate.image}`);

describe('baseCandidates: one FROM line', () => {
  test.each<[string, string[]]>([
    // Language images: slim and alpine of the same version.
    ['FROM python:3.12', ['base-slim python:3.12-slim', 'base-alpine python:3.12-alpine']],
    ['FROM python:3.12.4', ['base-slim python:3.12.4-slim', 'base-alpine python:3.12.4-alpine']],
    ['FROM python:3.12-bookworm', ['base-slim python:3.12-slim-bookworm', 'base-alpine python:3.12-alpine']],
    ['FROM python:3.12-slim', ['base-alpine python:3.12-alpine']],
    ['FROM python:3.12-slim-bookworm', ['base-alpine python:3.12-alpine']],
    ['FROM python:3.12-alpine', []],
    ['FROM python:3.12-alpine3.19', []],
    ['FROM python', ['base-slim python:slim', 'base-alpine python:alpine']],
    ['FROM python:latest', ['base-slim python:slim', 'base-alpine python:alpine']],
    ['FROM python:bookworm', ['base-slim python:slim-bookworm', 'base-alpine python:alpine']],
    ['FROM python:3.12-windowsservercore-ltsc2022', []],
    ['FROM docker.io/library/python:3.12', ['base-slim python:3.12-slim', 'base-alpine python:3.12-alpine']],
    ['FROM library/python:3.12', ['base-slim python:3.12-slim', 'base-alpine python:3.12-alpine']],
    [
      'FROM 127.0.0.1:5000/library/python:3.12',
      ['base-slim 127.0.0.1:5000/library/python:3.12-slim', 'base-alpine 127.0.0.1:5000/library/python:3.12-alpine']
    ],
    ['FROM mirror.example.com/python:3.11', ['base-slim mirror.example.com/python:3.11-slim', 'base-alpine mirror.example.com/python:3.11-alpine']],
    ['FROM --platform=linux/arm64 python:3.12 AS app', ['base-slim python:3.12-slim', 'base-alpine python:3.12-alpine']],
    [`FROM python:3.12@${DIGEST}`, []],
    [`FROM python@${DIGEST}`, []],
    ['FROM node:20', ['base-slim node:20-slim', 'base-alpine node:20-alpine']],
    ['FROM node:20-bookworm', ['base-slim node:20-bookworm-slim', 'base-alpine node:20-alpine']],
    ['FROM node:lts', ['base-slim node:lts-slim', 'base-alpine node:lts-alpine']],
    ['FROM node:20-slim', ['base-alpine node:20-alpine']],
    ['FROM ruby:3.3', ['base-slim ruby:3.3-slim', 'base-alpine ruby:3.3-alpine']],
    ['FROM ruby:3.3-bookworm', ['base-slim ruby:3.3-slim-bookworm', 'base-alpine ruby:3.3-alpine']],
    ['FROM php:8.3', ['base-alpine php:8.3-alpine']],
    ['FROM php:8.3-fpm', ['base-alpine php:8.3-fpm-alpine']],
    ['FROM php:8.3-fpm-alpine', []],
    ['FROM perl:5.38', ['base-slim perl:5.38-slim']],
    ['FROM perl:5.38-slim', []],
    ['FROM elixir:1.16', ['base-slim elixir:1.16-slim', 'base-alpine elixir:1.16-alpine']],
    ['FROM amazoncorretto:21', ['base-alpine amazoncorretto:21-alpine']],
    // JDKs: JRE variants.
    ['FROM eclipse-temurin:21-jdk', ['base-jre eclipse-temurin:21-jre', 'base-alpine eclipse-temurin:21-jre-alpine']],
    ['FROM eclipse-temurin:21', ['base-jre eclipse-temurin:21-jre', 'base-alpine eclipse-temurin:21-jre-alpine']],
    ['FROM eclipse-temurin:21-jdk-jammy', ['base-jre eclipse-temurin:21-jre-jammy', 'base-alpine eclipse-temurin:21-jre-alpine']],
    ['FROM eclipse-temurin:21-jre', ['base-alpine eclipse-temurin:21-jre-alpine']],
    ['FROM eclipse-temurin:21-jdk-alpine', ['base-jre eclipse-temurin:21-jre-alpine']],
    ['FROM eclipse-temurin:21-jre-alpine', []],
    ['FROM openjdk:17', ['base-jre openjdk:17-jre', 'base-jre openjdk:17-jre-slim', 'base-slim openjdk:17-slim']],
    [
      'FROM openjdk:17-jdk-bullseye',
      ['base-jre openjdk:17-jre-bullseye', 'base-jre openjdk:17-jre-slim-bullseye', 'base-slim openjdk:17-jdk-slim-bullseye']
    ],
    ['FROM openjdk:17-jdk-slim', ['base-jre openjdk:17-jre-slim']],
    ['FROM openjdk:11-jre', ['base-jre openjdk:11-jre-slim']],
    ['FROM openjdk:11-jre-slim', []],
    // Debian and Ubuntu.
    ['FROM debian:12', ['base-slim debian:12-slim', 'base-alpine alpine:3']],
    ['FROM debian:bookworm', ['base-slim debian:bookworm-slim', 'base-alpine alpine:3']],
    ['FROM debian', ['base-slim debian:stable-slim', 'base-alpine alpine:3']],
    ['FROM debian:bookworm-slim', ['base-alpine alpine:3']],
    ['FROM ubuntu:22.04', ['base-alpine alpine:3']],
    ['FROM 127.0.0.1:5000/library/debian:12', ['base-slim 127.0.0.1:5000/library/debian:12-slim', 'base-alpine 127.0.0.1:5000/library/alpine:3']],
    // Nothing to say.
    ['FROM alpine:3.19', []],
    ['FROM scratch', []],
    ['FROM nginx:1.25', []],
    ['FROM gcr.io/distroless/static-debian12', []],
    ['FROM ghcr.io/owner/app:1', []]
  ])('%s', (text, expected) => {
    expect(summary(candidates(`${text}\nCMD ["true"]\n`))).toEqual(expected);
  });
});

describe('baseCandidates: what the Dockerfile does', () => {
  test.each<[string, string, string[]]>([
    ['ARG-resolved base', 'ARG PY=3.11\nFROM python:${PY}\n', ['base-slim python:3.11-slim', 'base-alpine python:3.11-alpine']],
    ['ARG with a -slim suffix', 'ARG PY=3.11\nFROM python:${PY}-slim\n', ['base-alpine python:3.11-alpine']],
    ['unresolved ARG: nothing', 'FROM python:${PY}\n', []],
    [
      'FROM an earlier stage follows it to the image',
      'FROM python:3.12 AS base\nRUN pip install flask\nFROM base\nCMD ["python"]\n',
      ['base-slim python:3.12-slim', 'base-alpine python:3.12-alpine']
    ],
    ['a chain of two stages', 'FROM node:20 AS deps\nFROM deps AS build\nFROM build\n', ['base-slim node:20-slim', 'base-alpine node:20-alpine']],
    [
      'multi-stage with a clean final stage',
      'FROM golang:1.22 AS build\nRUN CGO_ENABLED=0 go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\n',
      []
    ],
    [
      'multi-stage onto distroless',
      'FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM gcr.io/distroless/base-debian12\nCOPY --from=build /app /app\n',
      []
    ],
    [
      'multi-stage onto a slim final stage: only alpine',
      'FROM python:3.12 AS build\nRUN pip wheel -w /w .\nFROM python:3.12-slim\nCOPY --from=build /w /w\n',
      ['base-alpine python:3.12-alpine']
    ],
    [
      'Go toolchain in the final stage, cgo on',
      'FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /usr/local/bin/app .\nCMD ["app"]\n',
      ['base-alpine golang:1.22-alpine', 'base-distroless gcr.io/distroless/base-debian12']
    ],
    [
      'Go toolchain, CGO_ENABLED=0 in ENV',
      'FROM golang:1.22\nENV CGO_ENABLED=0\nRUN go build -o /app .\n',
      ['base-alpine golang:1.22-alpine', 'base-scratch scratch']
    ],
    [
      'Go toolchain, CGO_ENABLED 0 (legacy ENV)',
      'FROM golang:1.22\nENV CGO_ENABLED 0\nRUN go build .\n',
      ['base-alpine golang:1.22-alpine', 'base-scratch scratch']
    ],
    [
      'Go toolchain, CGO_ENABLED=0 on the RUN',
      'FROM golang:1.22\nRUN CGO_ENABLED=0 go build -o /app .\n',
      ['base-alpine golang:1.22-alpine', 'base-scratch scratch']
    ],
    [
      'Go toolchain, CGO_ENABLED=1',
      'FROM golang:1.22\nRUN CGO_ENABLED=1 go build -o /app .\n',
      ['base-alpine golang:1.22-alpine', 'base-distroless gcr.io/distroless/base-debian12']
    ],
    ['Go on alpine without a C compiler is static', 'FROM golang:1.22-alpine\nRUN go build -o /app .\n', ['base-scratch scratch']],
    [
      'Go on alpine with gcc is not',
      'FROM golang:1.22-alpine\nRUN apk add --no-cache gcc musl-dev && go build -o /app .\n',
      ['base-distroless gcr.io/distroless/base-debian12']
    ],
    [
      'Go toolchain through FROM <stage>',
      'FROM golang:1.22 AS build\nRUN CGO_ENABLED=0 go build -o /app .\nFROM build\nCMD ["/app"]\n',
      ['base-alpine golang:1.22-alpine', 'base-scratch scratch']
    ],
    [
      'Rust toolchain',
      'FROM rust:1.77\nRUN cargo build --release\n',
      ['base-slim rust:1.77-slim', 'base-alpine rust:1.77-alpine', 'base-distroless gcr.io/distroless/cc-debian12']
    ],
    [
      'Rust with a musl target',
      'FROM rust:1.77\nRUN rustup target add x86_64-unknown-linux-musl && cargo build --release --target x86_64-unknown-linux-musl\n',
      ['base-slim rust:1.77-slim', 'base-alpine rust:1.77-alpine', 'base-scratch scratch']
    ],
    ['Rust on alpine', 'FROM rust:1.77-alpine\nRUN cargo build --release\n', ['base-scratch scratch']],
    ['gcc', 'FROM gcc:13\nRUN gcc -O2 -o /app main.c\n', ['base-distroless gcr.io/distroless/cc-debian12']],
    ['gcc -static', 'FROM gcc:13\nRUN gcc -O2 -static -o /app main.c\n', ['base-scratch scratch']],
    ['maven', 'FROM maven:3.9-eclipse-temurin-21\nRUN mvn -B package\n', ['multi-stage eclipse-temurin:21-jre']],
    ['gradle', 'FROM gradle:8.7-jdk17\nRUN gradle build\n', ['multi-stage eclipse-temurin:17-jre']],
    [
      'maven from a mirror',
      'FROM 127.0.0.1:5000/library/maven:3.9-eclipse-temurin-17\n',
      ['multi-stage 127.0.0.1:5000/library/eclipse-temurin:17-jre']
    ],
    ['maven without a Java version', 'FROM maven:3.9\n', ['multi-stage eclipse-temurin:21-jre']],
    ['.NET SDK', 'FROM mcr.microsoft.com/dotnet/sdk:8.0\nRUN dotnet publish -o /out\n', ['multi-stage mcr.microsoft.com/dotnet/aspnet:8.0']],
    [
      'debian with 2 packages',
      'FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates\n',
      ['base-slim debian:12-slim', 'base-alpine alpine:3']
    ],
    [
      'debian with 5 packages: no alpine',
      'FROM debian:12\nRUN apt-get update && apt-get install -y curl git make gcc libc6-dev\n',
      ['base-slim debian:12-slim']
    ],
    [
      'packages over several RUNs are counted together',
      'FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y curl git\nRUN apt-get install -y make jq\n',
      []
    ],
    [
      'ubuntu with one package',
      'FROM ubuntu:22.04\nRUN apt-get update \\\n && apt-get install -y --no-install-recommends curl\n',
      ['base-alpine alpine:3']
    ],
    ['ubuntu installing $PACKAGES: unknown, no alpine', 'FROM ubuntu:22.04\nARG PACKAGES="a b"\nRUN apt-get install -y $PACKAGES\n', []],
    ['heredoc RUN counts too', 'FROM ubuntu:22.04\nRUN <<EOF\napt-get update\napt-get install -y a b c d\nEOF\n', []]
  ])('%s', (_name, text, expected) => {
    expect(summary(candidates(text))).toEqual(expected);
  });

  test('the --target stage is the one advised on', () => {
    const text = 'FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM alpine:3.19 AS run\nCOPY --from=build /app /app\n';
    expect(summary(candidates(text, { target: 'build' }))).toEqual([
      'base-alpine golang:1.22-alpine',
      'base-distroless gcr.io/distroless/base-debian12'
    ]);
    expect(summary(candidates(text))).toEqual([]);
  });

  test('a build arg overrides the ARG default', () => {
    expect(summary(candidates('ARG NODE=18\nFROM node:${NODE}\n', { buildArgs: { NODE: '22' } }))).toEqual([
      'base-slim node:22-slim',
      'base-alpine node:22-alpine'
    ]);
  });
});

describe('baseCandidates: caveats, sketches and lookups', () => {
  test('python alpine warns about C extensions; slim about compilers when pip installs', () => {
    const [slim, alpine] = candidates('FROM python:3.12\nRUN pip install -r requirements.txt\n');
    expect(slim!.caveat).toMatch(/no compilers/);
    expect(alpine!.caveat).toMatch(/C extensions.*compile from source/);
    expect(alpine!.needsLookup).toBe(true);
    expect(alpine!.sketch).toBeNull();
  });

  test('no slim caveat when nothing is installed', () => {
    const [slim] = candidates('FROM python:3.12\nCOPY app.py .\n');
    expect(slim!.caveat).toBeNull();
  });

  test('node alpine warns about native modules', () => {
    expect(candidates('FROM node:20\n')[1]!.caveat).toMatch(/native modules/);
  });

  test('debian to alpine names the packages and warns about musl', () => {
    const alpine = candidates('FROM debian:12\nRUN apt-get install -y curl\n')[1]!;
    expect(alpine.why).toMatch(/installs only curl/);
    expect(alpine.caveat).toMatch(/musl/);
  });

  test('Go to scratch: static binary sketch with the -o path, no lookup', () => {
    const scratch = candidates('FROM golang:1.22\nRUN CGO_ENABLED=0 go build -o /usr/local/bin/svc .\nCMD ["svc"]\n').at(-1)!;
    expect(scratch).toMatchObject({ rule: 'base-scratch', image: 'scratch', needsLookup: false });
    expect(scratch.sketch).toBe(
      [
        'FROM golang:1.22 AS build',
        'WORKDIR /src',
        'COPY . .',
        'RUN CGO_ENABLED=0 go build -o /usr/local/bin/svc .',
        '',
        'FROM scratch',
        'COPY --from=build /usr/local/bin/svc /usr/local/bin/svc',
        'ENTRYPOINT ["/usr/local/bin/svc"]'
      ].join('\n')
    );
    expect(scratch.caveat).toMatch(/CA certificates/);
  });

  test('Go with cgo: distroless sketch without CGO_ENABLED=0, looked up', () => {
    const distroless = candidates('FROM golang:1.22\nRUN go build .\n').at(-1)!;
    expect(distroless.needsLookup).toBe(true);
    expect(distroless.sketch).toContain('FROM gcr.io/distroless/base-debian12');
    expect(distroless.sketch).toContain('RUN go build -o /out/app .');
    expect(distroless.why).toMatch(/CGO_ENABLED=0.*scratch/);
  });

  test('maven sketch runs the jar on the JRE', () => {
    const [multi] = candidates('FROM maven:3.9-eclipse-temurin-21\n');
    expect(multi!.sketch).toContain('FROM maven:3.9-eclipse-temurin-21 AS build');
    expect(multi!.sketch).toContain('FROM eclipse-temurin:21-jre');
    expect(multi!.sketch).toContain('ENTRYPOINT ["java", "-jar", "/app/app.jar"]');
  });

  test('the two example services', () => {
    const root = join(import.meta.dirname, '..', '..', 'examples');
    const go = candidates(readFileSync(join(root, 'go', 'Dockerfile'), 'utf8'));
    expect(summary(go)).toEqual(['base-alpine golang:1.22-alpine', 'base-distroless gcr.io/distroless/base-debian12']);
    expect(go[1]!.sketch).toContain('COPY --from=build /usr/local/bin/footprint-go /usr/local/bin/footprint-go');
    const python = candidates(readFileSync(join(root, 'python', 'Dockerfile'), 'utf8'));
    expect(summary(python)).toEqual(['base-slim python:3.12-slim', 'base-alpine python:3.12-alpine']);
  });
});

describe('helpers', () => {
  test.each<[string, Partial<ReturnType<typeof tagParts>>]>([
    ['3.12', { version: ['3.12'], slim: false, alpine: false, distro: [] }],
    ['3.12-slim-bookworm', { version: ['3.12'], slim: true, distro: ['bookworm'] }],
    ['20-bookworm-slim', { version: ['20'], slim: true, distro: ['bookworm'] }],
    ['21-jdk-ubi9-minimal', { version: ['21'], flavour: ['jdk'], distro: ['ubi9', 'minimal'] }],
    ['1.16.2-otp-26', { version: ['1.16.2', 'otp', '26'] }],
    ['3.12-alpine3.19', { alpine: true }],
    ['latest', { version: [] }],
    ['ltsc2022', { version: ['ltsc2022'], windows: false }],
    ['3.12-windowsservercore-ltsc2022', { windows: true }]
  ])('tagParts(%s)', (tag, expected) => {
    expect(tagParts(tag)).toMatchObject(expected);
  });

  test.each<[string, string | null]>([
    ['3.9-eclipse-temurin-21', '21'],
    ['3-openjdk-17-slim', '17'],
    ['3.9-amazoncorretto-11', '11'],
    ['8.7-jdk17-alpine', '17'],
    ['jdk21', '21'],
    ['3.9', null]
  ])('javaVersion(%s)', (tag, expected) => {
    expect(javaVersion(tag)).toBe(expected);
  });

  test.each<[string, string]>([
    ['debian:12', 'alpine:3'],
    ['127.0.0.1:5000/library/debian:12', '127.0.0.1:5000/library/alpine:3'],
    ['127.0.0.1:5000/debian:12', '127.0.0.1:5000/alpine:3'],
    ['mirror.example/base/debian:12', 'mirror.example/base/alpine:3']
  ])('siblingImage(%s)', (ref, expected) => {
    expect(siblingImage(parseReference(ref), 'alpine', '3')).toBe(expected);
  });

  test.each<[string, string[] | null]>([
    ['apt-get update && apt-get install -y --no-install-recommends curl ca-certificates', ['curl', 'ca-certificates']],
    ['DEBIAN_FRONTEND=noninteractive apt-get install -qq git', ['git']],
    ['sudo apt install -y jq > /dev/null 2>&1', ['jq']],
    ['apt-get install -y $PKGS', null],
    ['apt-get update', []],
    ['apk add curl', []],
    ['apt-get install -y \\\n  curl \\\n  git', ['curl', 'git']]
  ])('aptPackages(%s)', (script, expected) => {
    expect(aptPackages([script])).toEqual(expected);
  });
});
