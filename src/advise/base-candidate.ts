/**
 * What a smaller-base suggestion is: shared by bases.ts (variants of the same
 * image) and toolchains.ts (multi-stage builds off a toolchain image), with the
 * caveat both give for a JRE.
 */

/** The ids base advice reports under, usable in `ignore:` like the size rules' ids. */
export const BASE_RULES = ['base-slim', 'base-alpine', 'base-jre', 'base-distroless', 'base-scratch', 'multi-stage'] as const;

export type BaseRule = (typeof BASE_RULES)[number];

export interface BaseCandidate {
  rule: BaseRule;
  /** The suggested base image reference (`python:3.12-slim`, `scratch`, `gcr.io/distroless/static-debian12`). */
  image: string;
  /** One sentence: why it is smaller. */
  why: string;
  /** What may break with it; null when nothing in particular. */
  caveat: string | null;
  /** A short Dockerfile for multi-stage suggestions; null for a plain change of the FROM line. */
  sketch: string | null;
  /** False for `scratch`, which always exists and has no bytes; true when the registry must be asked. */
  needsLookup: boolean;
}

export const JRE_CAVEAT = 'the JRE has no javac, jlink or jcmd: keep the JDK in a build stage if the image compiles or inspects Java at run time';
