import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, SASProtocol, StorageSharedKeyCredential } from '@azure/storage-blob';

/**
 * The real Azure blob emulator, Azurite, on loopback: where @actions/artifact's upload puts an artifact's
 * zip (through a signed URL, as on GitHub) and where the REST API's download redirects to.
 */

/** Azurite's well-known development account and key (public, documented, good for the emulator only). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const START_WAIT_MS = 30_000;
const STOP_WAIT_MS = 10_000;

export interface Azurite {
  /** The account's root, `http://127.0.0.1:<port>/devstoreaccount1`. */
  url: string;
  service: BlobServiceClient;
  createContainer(name: string): Promise<void>;
  /**
   * A signed URL for one blob, as GitHub's services hand out: `permissions` in SAS letters (`r` to read,
   * `cw` to create and write), valid for `minutes`.
   */
  sasUrl(container: string, blob: string, permissions: string, minutes?: number): string;
  readBlob(container: string, blob: string): Promise<Buffer>;
  stop(): Promise<void>;
}

/** Starts Azurite's blob service on a free port, with its data in a new temporary folder. */
export async function startAzurite(): Promise<Azurite> {
  const main = createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');
  const location = await mkdtemp(join(tmpdir(), 'footprint-azurite-'));
  // process.execPath: the Node that runs the tests (24), not whatever `node` is on PATH.
  const child = spawn(
    process.execPath,
    [
      main,
      ...['--blobHost', '127.0.0.1', '--blobPort', '0', '--location', location],
      // The SDK may speak a newer API version than this Azurite knows; the calls it makes are old ones.
      ...['--silent', '--skipApiVersionCheck', '--loose', '--disableTelemetry']
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const listening = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within ${START_WAIT_MS / 1000} s:\n${output}`)), START_WAIT_MS);
    const read = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const address = /successfully listens on (http:\/\/\S+)/.exec(output)?.[1];
      if (address) {
        clearTimeout(timer);
        resolve(address);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${signal ?? `code ${code}`}) before it listened:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await rm(location, { recursive: true, force: true });
    throw error;
  });

  const url = `${listening.replace(/\/$/, '')}/${AZURITE_ACCOUNT}`;
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  const service = new BlobServiceClient(url, credential);

  return {
    url,
    service,
    async createContainer(name) {
      await service.getContainerClient(name).createIfNotExists();
    },
    sasUrl(container, blob, permissions, minutes = 10) {
      const sas = generateBlobSASQueryParameters(
        {
          containerName: container,
          blobName: blob,
          permissions: BlobSASPermissions.parse(permissions),
          startsOn: new Date(Date.now() - 60_000),
          expiresOn: new Date(Date.now() + minutes * 60_000),
          protocol: SASProtocol.HttpsAndHttp
        },
        credential
      );
      return `${service.getContainerClient(container).getBlobClient(blob).url}?${sas.toString()}`;
    },
    async readBlob(container, blob) {
      return service.getContainerClient(container).getBlobClient(blob).downloadToBuffer();
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_WAIT_MS);
        await exited;
        clearTimeout(timer);
      }
      await rm(location, { recursive: true, force: true });
    }
  };
}
