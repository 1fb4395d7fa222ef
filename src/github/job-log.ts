import { randomUUID } from 'node:crypto';

/**
 * Text from the repository printed to the job log: build output, messages that
 * quote a Dockerfile, errors. The runner reads a stdout line that starts with
 * `::` (or holds `##[`) as a workflow command, so a `RUN echo "::add-mask::…"`
 * would become one. Between `::stop-commands::TOKEN` and `::TOKEN::` the runner
 * runs none, so the text goes between the two. The token is random and new for
 * every block, made after the text exists and never a part of it, so the text
 * can neither know nor print the line that ends the block.
 */
export function logUntrusted(text: string, write: (line: string) => void): void {
  let token = randomUUID();
  while (text.includes(token)) token = randomUUID();
  write(`::stop-commands::${token}`);
  write(text);
  write(`::${token}::`);
}
