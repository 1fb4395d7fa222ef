import { describe, expect, it } from '@jest/globals';
import { baselineArtifactName, workflowFileOf } from '../../src/baseline/artifacts.js';

describe('workflowFileOf', () => {
  it.each([
    ['acme/shop/.github/workflows/ci.yml@refs/heads/main', 'ci.yml'],
    ['acme/shop/.github/workflows/footprint.yaml@refs/pull/42/merge', 'footprint.yaml'],
    ['acme/shop/.github/workflows/release.yml@refs/tags/v1.2.0', 'release.yml'],
    ['Acme/Shop/.github/workflows/Size Check.YML@refs/heads/main', 'Size Check.YML'],
    // A branch may hold "@" and ".yml"; the file name ends at the first ".yml@".
    ['acme/shop/.github/workflows/ci.yml@refs/heads/fix@home.yml', 'ci.yml'],
    ['acme/shop/.github/workflows/a@b.yml@refs/heads/main', 'a@b.yml'],
    ['  acme/shop/.github/workflows/ci.yml@refs/heads/main\n', 'ci.yml'],
    ['acme/shop/.github/workflows/ci.yml', 'ci.yml']
  ])('%j names the workflow file %j', (ref, file) => {
    expect(workflowFileOf(ref)).toBe(file);
  });

  it.each([
    [undefined],
    [null],
    [''],
    // GitHub's own dynamic workflows have no file.
    ['acme/shop/dynamic/pages/pages-build-deployment@refs/heads/main'],
    // GitHub runs only the files directly in .github/workflows.
    ['acme/shop/.github/workflows/nested/ci.yml@refs/heads/main'],
    ['acme/shop/.github/workflows/README.md@refs/heads/main'],
    ['.github/workflows/ci.yml@refs/heads/main'],
    ['ci.yml']
  ])('%j names no workflow file', (ref) => {
    expect(workflowFileOf(ref)).toBeNull();
  });
});

describe('baselineArtifactName', () => {
  it('keeps one artifact per comment key', () => {
    expect(baselineArtifactName('default')).toBe('footprint-report-default');
    expect(baselineArtifactName('api.v2')).toBe('footprint-report-api.v2');
  });
});
