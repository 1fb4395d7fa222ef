import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
// The library's own generated Twirp messages (its package exports only its root, so by path): requests are
// read with them exactly as the real service's schema would, and answers are written with them.
import {
  CreateArtifactRequest,
  CreateArtifactResponse,
  FinalizeArtifactRequest,
  FinalizeArtifactResponse,
  Timestamp
} from '../../node_modules/@actions/artifact/lib/generated/index.js';
import type { ActionsStore } from './actions-store.js';
import type { Azurite } from './azurite.js';

/**
 * A stand-in for the GitHub Actions results service, the Twirp JSON API that @actions/artifact 6 uploads
 * through: CreateArtifact hands out a signed Azurite URL to write the zip to, FinalizeArtifact records the
 * artifact in the shared store. Every request is read with the library's own generated message types (unknown
 * fields and wrong types are errors), its bearer token must be a runtime token this service minted, and the
 * backend ids in the body must be the token's. Violations go to `errors`.
 */

const SERVICE = 'github.actions.results.api.v1.ArtifactService';
/** The container the signed upload URLs point into. */
export const RESULTS_CONTAINER = 'actions-results';

export interface BackendIds {
  workflowRunBackendId: string;
  workflowJobRunBackendId: string;
}

/** The JSON the generated messages read. */
type JsonValue = Parameters<typeof CreateArtifactRequest.fromJson>[0];

function base64url(value: object | string): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/**
 * A runtime token as the runner gives a job (ACTIONS_RUNTIME_TOKEN): a JWT whose `scp` claim holds
 * `Actions.Results:<workflow run backend id>:<job run backend id>`. The library only decodes it, so it is unsigned.
 */
export function mintRuntimeToken(ids: BackendIds): string {
  const header = { typ: 'JWT', alg: 'none' };
  const now = Math.floor(Date.now() / 1000);
  const scp = [
    'Actions.ExampleScope',
    `Actions.GenericRead:${ids.workflowRunBackendId}`,
    `Actions.Results:${ids.workflowRunBackendId}:${ids.workflowJobRunBackendId}`
  ].join(' ');
  const payload = { scp, iss: 'vstoken.actions.githubusercontent.com', nbf: now - 60, exp: now + 3600 };
  return `${base64url(header)}.${base64url(payload)}.${base64url('unsigned')}`;
}

export interface ResultsRequest {
  method: string;
  authorization: string | undefined;
  body: unknown;
}

export interface ResultsService {
  url: string;
  requests: ResultsRequest[];
  /** Contract violations: requests the real service's schema or authorization would not take. */
  errors: string[];
  /**
   * What a JavaScript action's step gets from the runner for artifacts, for a new job (fresh backend ids unless
   * given): ACTIONS_RUNTIME_TOKEN, ACTIONS_RESULTS_URL, and a GITHUB_SERVER_URL that is not GHES.
   */
  env(ids?: BackendIds): Record<string, string>;
  close(): Promise<void>;
}

interface TwirpAnswer {
  status: number;
  body: unknown;
}

function twirpError(status: number, code: string, msg: string): TwirpAnswer {
  return { status, body: { code, msg } };
}

export async function startResultsService(options: { store: ActionsStore; azurite: Azurite }): Promise<ResultsService> {
  const { store, azurite } = options;
  await azurite.createContainer(RESULTS_CONTAINER);
  const requests: ResultsRequest[] = [];
  const errors: string[] = [];
  /** Runtime tokens this service minted, with the job each names. */
  const tokens = new Map<string, BackendIds>();
  /** Artifacts created and not yet finalized, by `<run backend id>/<name>`. */
  const pending = new Map<string, { blob: string; expiresAt: Date | null }>();
  let url = '';

  const blobOf = (ids: BackendIds, name: string) => `${ids.workflowRunBackendId}/${ids.workflowJobRunBackendId}/${name}.zip`;

  /** The token's job, when the body names the same one; else records why not. */
  function authorize(method: string, authorization: string | undefined, ids: BackendIds): boolean {
    const job = tokens.get(/^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '');
    if (!job) {
      errors.push(`${method}: no "Authorization: Bearer <runtime token>" of a job (got ${authorization ? 'another' : 'none'})`);
      return false;
    }
    if (job.workflowRunBackendId !== ids.workflowRunBackendId || job.workflowJobRunBackendId !== ids.workflowJobRunBackendId) {
      errors.push(`${method}: the backend ids in the body are not the runtime token's`);
      return false;
    }
    return true;
  }

  function createArtifact(json: JsonValue, authorization: string | undefined): TwirpAnswer {
    const request = CreateArtifactRequest.fromJson(json);
    if (!authorize('CreateArtifact', authorization, request)) return twirpError(401, 'unauthenticated', 'Unauthorized');
    if (!request.name) {
      errors.push('CreateArtifact: no name');
      return twirpError(400, 'invalid_argument', 'name is required');
    }
    const key = `${request.workflowRunBackendId}/${request.name}`;
    if (pending.has(key) || store.artifacts.some((artifact) => `${artifact.workflowRunBackendId}/${artifact.name}` === key)) {
      return twirpError(409, 'already_exists', `an artifact with this name already exists on the workflow run: ${request.name}`);
    }
    const blob = blobOf(request, request.name);
    pending.set(key, { blob, expiresAt: request.expiresAt ? Timestamp.toDate(request.expiresAt) : null });
    const signedUploadUrl = azurite.sasUrl(RESULTS_CONTAINER, blob, 'cw');
    return {
      status: 200,
      body: CreateArtifactResponse.toJson(CreateArtifactResponse.create({ ok: true, signedUploadUrl }), { useProtoFieldName: true })
    };
  }

  async function finalizeArtifact(json: JsonValue, authorization: string | undefined): Promise<TwirpAnswer> {
    const request = FinalizeArtifactRequest.fromJson(json);
    if (!authorize('FinalizeArtifact', authorization, request)) return twirpError(401, 'unauthenticated', 'Unauthorized');
    const key = `${request.workflowRunBackendId}/${request.name}`;
    const created = pending.get(key);
    if (!created) {
      errors.push(`FinalizeArtifact: ${request.name} was never created`);
      return twirpError(404, 'not_found', 'artifact not found');
    }
    const bytes = await azurite.readBlob(RESULTS_CONTAINER, created.blob).catch(() => null);
    if (!bytes) {
      errors.push(`FinalizeArtifact: nothing was uploaded for ${request.name}`);
      return twirpError(400, 'invalid_argument', 'no blob uploaded');
    }
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (Number(request.size) !== bytes.length) errors.push(`FinalizeArtifact: size ${request.size}, but the blob has ${bytes.length} bytes`);
    if (request.hash && request.hash.value !== digest) errors.push(`FinalizeArtifact: hash ${request.hash.value}, but the blob's is ${digest}`);
    pending.delete(key);
    const id = store.nextArtifactId();
    store.artifacts.push({
      id,
      name: request.name,
      size: Number(request.size),
      digest: request.hash?.value ?? null,
      workflowRunBackendId: request.workflowRunBackendId,
      workflowJobRunBackendId: request.workflowJobRunBackendId,
      container: RESULTS_CONTAINER,
      blob: created.blob,
      createdAt: new Date(),
      expiresAt: created.expiresAt,
      runId: null
    });
    const answer = FinalizeArtifactResponse.create({ ok: true, artifactId: String(id) });
    return { status: 200, body: FinalizeArtifactResponse.toJson(answer, { useProtoFieldName: true }) };
  }

  async function answer(pathname: string, contentType: string | undefined, authorization: string | undefined, raw: string): Promise<TwirpAnswer> {
    const method = pathname.startsWith(`/twirp/${SERVICE}/`) ? pathname.slice(`/twirp/${SERVICE}/`.length) : null;
    let json: JsonValue;
    try {
      json = JSON.parse(raw) as JsonValue;
    } catch {
      errors.push(`${pathname}: the body is not JSON`);
      return twirpError(400, 'malformed', 'the body is not JSON');
    }
    requests.push({ method: method ?? pathname, authorization, body: json });
    if (!contentType?.startsWith('application/json')) errors.push(`${pathname}: Content-Type ${contentType ?? 'missing'}, not application/json`);
    try {
      if (method === 'CreateArtifact') return createArtifact(json, authorization);
      if (method === 'FinalizeArtifact') return await finalizeArtifact(json, authorization);
    } catch (error) {
      errors.push(`${method}: the request does not match the library's message type: ${error instanceof Error ? error.message : String(error)}`);
      return twirpError(400, 'malformed', 'the request does not match its message type');
    }
    errors.push(`${pathname}: not an endpoint footprint's upload should call`);
    return twirpError(404, 'bad_route', `no handler for path ${pathname}`);
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const pathname = new URL(request.url ?? '/', url).pathname;
      const reply = (result: TwirpAnswer) => {
        response.writeHead(result.status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(result.body));
      };
      if (request.method !== 'POST') {
        errors.push(`${request.method} ${pathname}: Twirp takes POST only`);
        reply(twirpError(404, 'bad_route', 'POST only'));
        return;
      }
      answer(pathname, request.headers['content-type'], request.headers.authorization, Buffer.concat(chunks).toString('utf8')).then(
        reply,
        (error: unknown) => {
          errors.push(`${pathname}: the stand-in failed: ${String(error)}`);
          reply(twirpError(500, 'internal', 'the stand-in failed'));
        }
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    errors,
    env(ids = { workflowRunBackendId: randomUUID(), workflowJobRunBackendId: randomUUID() }) {
      const token = mintRuntimeToken(ids);
      tokens.set(token, ids);
      // The runner's ACTIONS_RESULTS_URL ends with a slash; the library keeps only the origin.
      return { ACTIONS_RUNTIME_TOKEN: token, ACTIONS_RESULTS_URL: `${url}/`, GITHUB_SERVER_URL: 'https://github.com' };
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    }
  };
}
