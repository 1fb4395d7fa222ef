import type { Install } from '../run-facts.js';
import { eachRun, type Rule } from './rule.js';

const BUILD_TOOLS = new Set([
  'gcc',
  'g++',
  'gcc-c++',
  'make',
  'cmake',
  'build-base',
  'build-essential',
  'musl-dev',
  'libc-dev',
  'libc6-dev',
  'linux-headers',
  'clang',
  'llvm',
  'autoconf',
  'automake',
  'libtool',
  'pkgconf',
  'pkg-config',
  'cargo',
  'rust',
  'go',
  'g++-multilib'
]);

/** A compiler, build system or `-dev` package; versions (`gcc=4:12.2`, `gcc-12`) and architectures (`:amd64`) ignored. */
function isBuildTool(pkg: string): boolean {
  const name = pkg.replace(/[=<>~].*$/, '').replace(/:.*$/, '');
  return BUILD_TOOLS.has(name) || /-(?:dev|devel)$/.test(name) || /^(?:gcc|g\+\+|clang|python\d?(?:\.\d+)?-dev)-?\d/.test(name);
}

/** The same RUN with the tools installed, used and removed again. */
function removalSnippet(install: Install, tools: string[]): string {
  const list = tools.join(' ');
  if (install.manager === 'apk') {
    return `RUN apk add --no-cache --virtual .build-deps ${list} \\\n    && <build> \\\n    && apk del .build-deps`;
  }
  if (install.manager === 'apt') {
    return `RUN apt-get update && apt-get install -y --no-install-recommends ${list} \\\n    && <build> \\\n    && apt-get purge -y --auto-remove ${list} && rm -rf /var/lib/apt/lists/*`;
  }
  return `RUN ${install.tool} install -y ${list} \\\n    && <build> \\\n    && ${install.tool} remove -y ${list} && ${install.tool} clean all`;
}

export const buildDepsKept: Rule = {
  id: 'build-deps-kept',
  summary: 'build tools (gcc, make, *-dev, ...) installed and not removed in the same RUN ship in the image',
  check: (context) =>
    eachRun(context, ({ instruction }, facts) => {
      // The first install that keeps a tool is the one named; one finding per RUN.
      for (const install of facts.installs) {
        const kept = install.packages.filter(
          (pkg) =>
            isBuildTool(pkg) &&
            !facts.removedPackages.has(pkg) &&
            !(install.virtual !== null && facts.removedPackages.has(install.virtual)) &&
            !(install.manager === 'apt' && facts.autoremove)
        );
        if (kept.length === 0) continue;
        const group =
          install.manager === 'apk'
            ? 'in a `--virtual` group and `apk del` the group'
            : `and remove them with \`${install.manager === 'apt' ? 'apt-get purge -y --auto-remove' : `${install.tool} remove -y`}\``;
        return {
          instruction,
          severity: 'warning',
          message: `Build tools ${kept.slice(0, 5).join(', ')}${kept.length > 5 ? ` and ${kept.length - 5} more` : ''} are installed and never removed: they ship in the image.`,
          fix: `Install them ${group} in the same RUN that builds, or build in an earlier stage and COPY --from it:\n${removalSnippet(install, kept)}`,
          bytes: null
        };
      }
      return null;
    })
};
