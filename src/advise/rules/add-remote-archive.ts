import { copyWords } from '../run-facts.js';
import { eachStep, type Rule } from './rule.js';

const ARCHIVE = /\.(?:tar|tgz|tar\.gz|tar\.xz|txz|tar\.bz2|tbz2?|tar\.zst|zip|gz|xz|bz2|zst)(?:[?#].*)?$/i;

export const addRemoteArchive: Rule = {
  id: 'add-remote-archive',
  summary: 'ADD of a remote URL ships the download as its own layer; fetch, unpack and delete in one RUN',
  check: (context) =>
    eachStep(context, ({ instruction }) => {
      if (instruction.keyword !== 'ADD') return null;
      const remote = copyWords(instruction).sources.find((source) => /^https?:\/\//i.test(source));
      if (remote === undefined) return null;
      const archive = ARCHIVE.test(remote);
      const url = remote.replace(/[?#].*$/, '');
      const name = url.slice(url.lastIndexOf('/') + 1) || 'download';
      return {
        instruction,
        severity: archive ? 'warning' : 'notice',
        message: `ADD ${remote} ships the downloaded ${archive ? 'archive' : 'file'} as a layer of its own${archive ? ': unpacking it later ships the bytes twice' : ''}.`,
        fix: `Download, unpack and delete in one RUN:\nRUN curl -fsSL ${remote} -o /tmp/${name} \\\n    && tar -xf /tmp/${name} -C /opt \\\n    && rm /tmp/${name}`,
        bytes: null
      };
    })
};
