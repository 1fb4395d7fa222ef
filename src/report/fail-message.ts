/** The job's fail message: one line per failing image, with the figures of every limit it broke. */
import { explainBreach } from '../limits/index.js';
import { buildFailureText, isBuildBreach } from '../model/limits.js';
import { sizeIn, type ImageReport } from '../model/report.js';
import { formatBytes } from '../units.js';
import { isFailingImage, limitBreaches, plural } from './view.js';

/** `api (svc/api/Dockerfile)`: the name, with what it was made from when that says more. */
function imageLabel(image: ImageReport): string {
  const source = image.dockerfile ?? image.image;
  return source && source !== image.name ? `${image.name} (${source})` : image.name;
}

/**
 * `262.3 MB, budget 250.0 MB, over by 12.3 MB`: the image's size in the metric of
 * the first limit it broke (a compressed budget leads with the compressed size), then each breach.
 */
function failureDetail(image: ImageReport): string {
  const breaches = limitBreaches(image);
  if (image.status === 'failed' || image.size === null) {
    const build = image.breaches.find(isBuildBreach);
    return build ? buildFailureText(build, image.image !== null) : 'failed to build: no size was measured';
  }
  const metric = breaches[0]?.metric ?? 'uncompressed';
  const size = sizeIn(image.size, metric) ?? image.size.bytes;
  const lead = `${formatBytes(size)}${metric === 'compressed' ? ' compressed' : ''}`;
  return [lead, ...breaches.map((breach) => explainBreach(breach).detail)].join(', ');
}

/** The job's failure message, one line per offending image; null when every image is within its limits. */
export function failMessage(images: readonly ImageReport[]): string | null {
  const failing = images.filter(isFailingImage);
  if (failing.length === 0) return null;
  const verb = failing.length === 1 ? 'fails its size limits' : 'fail their size limits';
  return [
    `footprint: ${failing.length} of ${plural(images.length, 'image')} ${verb}:`,
    ...failing.map((image) => `- ${imageLabel(image)}: ${failureDetail(image)}`)
  ].join('\n');
}
