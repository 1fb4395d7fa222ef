import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { createActionsStore, type ActionsStore } from './actions-store.js';
import type { Azurite } from './azurite.js';
import { createActionsApi, type ActionsApi } from './fake-github-actions.js';

/**
 * A stand-in for GitHub's REST API (issue comments, and with `actions` the GitHub Actions runs and artifacts
 * of fake-github-actions.ts), held to GitHub's
 * published OpenAPI description: every request is matched to an operation and
 * its parameters and body validated, every response is built from the spec's own
 * example and validated against the response schema. Violations go to `errors`.
 */

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string };
}

export interface RecordedRequest {
  method: string;
  /** Path and query string, as sent. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface FakeGitHub {
  url: string;
  /** The issue's comments, oldest first. */
  comments: FakeComment[];
  requests: RecordedRequest[];
  /** Contract violations seen: requests or responses that do not match the OpenAPI description. */
  errors: string[];
  /** Adds `count` comments by another user (`login`, a person unless it ends in `[bot]`) before whatever the test does. */
  seed(count: number, body?: (index: number) => string, login?: string): void;
  /**
   * Answers the next `times` requests (of `only.method`, if given) with `status`, headers and message instead of
   * handling them (of `only.path`, a path without the query, if given); with `only.afterHandling`, handles them first,
   * as when GitHub does the work and the answer is lost.
   */
  failNext(
    times: number,
    status: number,
    headers?: Record<string, string>,
    message?: string,
    only?: { method?: string; path?: string; afterHandling?: boolean }
  ): void;
  /** Answers comment writes with 403 "Resource not accessible by integration", as for a fork's token. */
  forbidWrites(on: boolean): void;
  /** Answers GitHub Actions reads with 403 "Resource not accessible by integration", as for a token without `actions: read`. */
  forbidActionsReads(on: boolean): void;
  close(): Promise<void>;
}

export interface FakeGitHubOptions {
  owner: string;
  repo: string;
  issueNumber: number;
  token: string;
  /**
   * Whom the token belongs to, and so who writes the comments it posts. A login ending in `[bot]` (the default,
   * `github-actions[bot]`, as for GITHUB_TOKEN) is an installation token: `GET /user` answers 403 "Resource not
   * accessible by integration". Any other login is a personal access token: `GET /user` answers that user.
   */
  tokenOwner?: string;
  /** Serves the GitHub Actions runs and artifacts of this store, whose zips are in this Azurite. */
  actions?: { store: ActionsStore; azurite: Azurite };
}

/** What the fake answers a request with. */
export interface FakeAnswer {
  status: number;
  body?: Json;
  headers?: Record<string, string>;
}

type Json = any;

const SPEC_ID = 'https://api.github.com/openapi.json';
const BOT_LOGIN = 'github-actions[bot]';
const OTHER_LOGIN = 'octocat';
const DOCS = 'https://docs.github.com/rest/issues/comments';

interface Route {
  template: string;
  method: string;
  pattern: RegExp;
  names: string[];
  /** More literal segments wins when two templates match. */
  literals: number;
  operation: Json;
}

interface Contract {
  spec: Json;
  routes: Route[];
  ajv: Ajv;
  /** A second instance that coerces strings, for path and query parameters. */
  parameters: Ajv;
  validators: Map<string, ValidateFunction>;
}

let contract: Contract | null = null;

/** Loads the OpenAPI description once per test file: 13 MB of JSON. */
function loadContract(): Contract {
  if (contract) return contract;
  const require = createRequire(import.meta.url);
  const spec = JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8'));
  const routes: Route[] = [];
  for (const [template, item] of Object.entries<Json>(spec.paths)) {
    const names: string[] = [];
    const source = template
      .split('/')
      .map((segment) => {
        const name = /^\{(.+)\}$/.exec(segment)?.[1];
        if (!name) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(name);
        return '([^/]+)';
      })
      .join('/');
    const literals = template.split('/').filter((segment) => segment && !segment.startsWith('{')).length;
    for (const method of ['get', 'post', 'patch', 'put', 'delete']) {
      if (item[method]) routes.push({ template, method, pattern: new RegExp(`^${source}$`), names, literals, operation: item[method] });
    }
  }
  const makeAjv = (coerceTypes: boolean) => {
    const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes, logger: false });
    addFormats.default(ajv);
    ajv.addSchema({ $id: SPEC_ID, components: { schemas: spec.components.schemas } });
    return ajv;
  };
  contract = { spec, routes, ajv: makeAjv(false), parameters: makeAjv(true), validators: new Map() };
  return contract;
}

/** Follows `$ref`s to components that are not schemas (responses, parameters, examples). */
function deref(spec: Json, value: Json): Json {
  let current = value;
  while (current && typeof current.$ref === 'string' && current.$ref.startsWith('#/')) {
    current = current.$ref
      .slice(2)
      .split('/')
      .reduce((node: Json, key: string) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  }
  return current;
}

/** An operation's schema with its `#/...` references pointed at the spec document ajv knows. */
function absoluteRefs(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(absoluteRefs);
  if (!schema || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? `${SPEC_ID}${value}` : absoluteRefs(value)
    ])
  );
}

/** A compiled validator, cached per operation and part; `parameters` coerces strings as a query string needs. */
function validator(kind: 'json' | 'parameters', id: string, schema: Json): { validate: ValidateFunction; explain(): string } {
  const loaded = loadContract();
  const ajv = kind === 'json' ? loaded.ajv : loaded.parameters;
  const key = `${kind} ${id}`;
  let validate = loaded.validators.get(key);
  if (!validate) {
    validate = ajv.compile(absoluteRefs(schema));
    loaded.validators.set(key, validate);
  }
  const compiled = validate;
  return { validate: compiled, explain: () => ajv.errorsText(compiled.errors) };
}

function findRoute(method: string, pathname: string): { route: Route; params: Record<string, string> } | null {
  const matches = loadContract()
    .routes.filter((route) => route.method === method && route.pattern.test(pathname))
    .sort((a, b) => b.literals - a.literals);
  const route = matches[0];
  if (!route) return null;
  const values = route.pattern.exec(pathname)!.slice(1);
  return { route, params: Object.fromEntries(route.names.map((name, index) => [name, decodeURIComponent(values[index]!)])) };
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const { spec } = loadContract();
  const comments: FakeComment[] = [];
  const requests: RecordedRequest[] = [];
  const errors: string[] = [];
  const created = new Map<number, string>();
  const updated = new Map<number, string>();
  interface Failure {
    status: number;
    headers: Record<string, string>;
    message: string | undefined;
    method: string | undefined;
    path: string | undefined;
    afterHandling: boolean;
  }
  const failures: Failure[] = [];
  let writesForbidden = false;
  let actionsReadsForbidden = false;
  let nextId = 1000;
  let url = '';

  const repoPath = `/repos/${options.owner}/${options.repo}`;
  const tokenOwner = options.tokenOwner ?? BOT_LOGIN;
  const isBot = (login: string) => login.endsWith('[bot]');

  function commentJson(comment: FakeComment): Json {
    const example = structuredClone(deref(spec, spec.components.examples['issue-comment']).value);
    const now = timestamp(new Date());
    return {
      ...example,
      id: comment.id,
      node_id: Buffer.from(`IC_${comment.id}`).toString('base64'),
      url: `${url}${repoPath}/issues/comments/${comment.id}`,
      html_url: `https://github.com/${options.owner}/${options.repo}/pull/${options.issueNumber}#issuecomment-${comment.id}`,
      issue_url: `${url}${repoPath}/issues/${options.issueNumber}`,
      body: comment.body,
      user: {
        ...example.user,
        login: comment.user.login,
        type: isBot(comment.user.login) ? 'Bot' : 'User',
        url: `${url}/users/${encodeURIComponent(comment.user.login)}`
      },
      created_at: created.get(comment.id) ?? now,
      updated_at: updated.get(comment.id) ?? now,
      author_association: isBot(comment.user.login) ? 'NONE' : 'MEMBER'
    };
  }

  function addComment(body: string, login: string): FakeComment {
    const comment = { id: nextId++, body, user: { login } };
    comments.push(comment);
    created.set(comment.id, timestamp(new Date()));
    return comment;
  }

  function error(status: number, message: string, documentation = 'https://docs.github.com/rest'): FakeAnswer {
    return { status, body: { message, documentation_url: documentation, status: String(status) } };
  }

  /** The requested page of a list at `path`, with GitHub's `link` header when there are other pages. */
  function page<T>(items: T[], query: URLSearchParams, path: string): { items: T[]; headers: Record<string, string> } {
    // GitHub falls back to the defaults for values it cannot read, and caps per_page at 100.
    const perPage = Math.min(100, Math.max(1, Number.parseInt(query.get('per_page') ?? '', 10) || 30));
    const current = Math.max(1, Number.parseInt(query.get('page') ?? '', 10) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (target: number, rel: string) => {
      const next = new URLSearchParams(query);
      next.set('per_page', String(perPage));
      next.set('page', String(target));
      return `<${url}${path}?${next.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (current > 1) links.push(link(Math.min(current - 1, last), 'prev'));
    if (current < last) links.push(link(current + 1, 'next'), link(last, 'last'));
    if (current > 1) links.push(link(1, 'first'));
    return { items: items.slice((current - 1) * perPage, current * perPage), headers: links.length ? { link: links.join(', ') } : {} };
  }

  // Without a store, a repository whose workflows never ran: every list is empty, as GitHub answers then.
  const actions: ActionsApi = createActionsApi({
    owner: options.owner,
    repo: options.repo,
    store: options.actions?.store ?? createActionsStore(),
    azurite: options.actions?.azurite ?? null,
    example: (name) => structuredClone(deref(spec, spec.components.examples[name]).value),
    url: () => url,
    error,
    page
  });

  function handle(operationId: string, params: Record<string, string>, query: URLSearchParams, body: Json): FakeAnswer {
    const sameRepo = params.owner === options.owner && params.repo === options.repo;
    if (actions.handles(operationId)) return actions.handle(operationId, params, query);
    switch (operationId) {
      case 'issues/list-comments': {
        if (!sameRepo || Number(params.issue_number) !== options.issueNumber) return error(404, 'Not Found');
        const { items, headers } = page(comments, query, `${repoPath}/issues/${options.issueNumber}/comments`);
        return { status: 200, body: items.map(commentJson), headers };
      }
      case 'issues/create-comment': {
        if (!sameRepo || Number(params.issue_number) !== options.issueNumber) return error(404, 'Not Found');
        const comment = addComment(body.body, tokenOwner);
        return { status: 201, body: commentJson(comment), headers: { location: `${url}${repoPath}/issues/comments/${comment.id}` } };
      }
      case 'issues/get-comment':
      case 'issues/update-comment': {
        const comment = comments.find((candidate) => candidate.id === Number(params.comment_id));
        if (!sameRepo || !comment) return error(404, 'Not Found');
        if (operationId === 'issues/update-comment') {
          comment.body = body.body;
          updated.set(comment.id, timestamp(new Date()));
        }
        return { status: 200, body: commentJson(comment) };
      }
      case 'users/get-authenticated': {
        if (isBot(tokenOwner)) {
          return error(403, 'Resource not accessible by integration', 'https://docs.github.com/rest/users/users#get-the-authenticated-user');
        }
        const example = structuredClone(deref(spec, spec.components.examples['private-user-response-with-public-profile-information']).value);
        return {
          status: 200,
          body: {
            ...example,
            login: tokenOwner,
            url: `${url}/users/${encodeURIComponent(tokenOwner)}`,
            html_url: `https://github.com/${encodeURIComponent(tokenOwner)}`
          }
        };
      }
      default:
        errors.push(`${operationId}: in the OpenAPI description, but the fake does not implement it`);
        return error(404, 'Not Found');
    }
  }

  function checkParameters(route: Route, params: Record<string, string>, query: URLSearchParams, label: string): void {
    const declared = ((route.operation.parameters ?? []) as Json[]).map((parameter) => deref(spec, parameter));
    for (const where of ['path', 'query'] as const) {
      const list = declared.filter((parameter) => parameter.in === where);
      const values = where === 'path' ? params : Object.fromEntries(query.entries());
      for (const name of Object.keys(values)) {
        if (!list.some((parameter) => parameter.name === name))
          errors.push(`${label}: ${where} parameter "${name}" is not in the OpenAPI description`);
      }
      const schema = {
        type: 'object',
        properties: Object.fromEntries(list.map((parameter) => [parameter.name, parameter.schema ?? {}])),
        required: list.filter((parameter) => parameter.required).map((parameter) => parameter.name)
      };
      const check = validator('parameters', `${route.method} ${route.template} ${where}`, schema);
      if (!check.validate({ ...values })) errors.push(`${label}: ${where} parameters: ${check.explain()}`);
    }
  }

  function checkResponse(route: Route, answer: FakeAnswer, label: string): void {
    const response = deref(spec, route.operation.responses?.[String(answer.status)]);
    if (!response) return; // GitHub answers some statuses the description does not list (401, 5xx).
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return;
    const check = validator('json', `${route.method} ${route.template} ${answer.status}`, schema);
    if (!check.validate(answer.body)) errors.push(`${label} → ${answer.status}: response: ${check.explain()}`);
  }

  function answerRequest(method: string, target: URL, headers: IncomingMessage['headers'], raw: string): FakeAnswer {
    const label = `${method.toUpperCase()} ${target.pathname}`;
    const found = findRoute(method, target.pathname);
    if (!found) {
      errors.push(`${label}: no such operation in the OpenAPI description`);
      return error(404, 'Not Found');
    }
    const { route, params } = found;
    checkParameters(route, params, target.searchParams, label);

    const authorization = headers.authorization ?? '';
    if (authorization !== `token ${options.token}` && authorization !== `Bearer ${options.token}`) {
      return error(401, 'Bad credentials');
    }
    const failureIndex = failures.findIndex(
      (candidate) =>
        (candidate.method === undefined || candidate.method === method) && (candidate.path === undefined || candidate.path === target.pathname)
    );
    const failure = failureIndex >= 0 ? failures.splice(failureIndex, 1)[0]! : null;
    const failed = (): FakeAnswer => {
      const status = failure!.status;
      const fallback = status >= 500 ? 'Server Error' : status === 429 || status === 403 ? 'API rate limit exceeded' : 'Error';
      return { ...error(status, failure!.message ?? fallback), headers: failure!.headers };
    };
    if (failure && !failure.afterHandling) return failed();

    let body: Json;
    const requestBody = deref(spec, route.operation.requestBody);
    if (requestBody) {
      try {
        body = JSON.parse(raw);
      } catch {
        errors.push(`${label}: the request body is not JSON`);
        return error(400, 'Problems parsing JSON');
      }
      const check = validator('json', `${route.method} ${route.template} request`, requestBody.content['application/json'].schema);
      if (!check.validate(body)) {
        errors.push(`${label}: request body: ${check.explain()}`);
        return error(422, 'Validation Failed');
      }
    } else if (raw) {
      errors.push(`${label}: a body was sent to an operation that takes none`);
    }
    if (writesForbidden && (method === 'post' || method === 'patch')) {
      return error(403, 'Resource not accessible by integration', `${DOCS}#create-an-issue-comment`);
    }
    if (actionsReadsForbidden && method === 'get' && String(route.operation.operationId).startsWith('actions/')) {
      return error(403, 'Resource not accessible by integration', route.operation.externalDocs?.url);
    }
    const answer = handle(route.operation.operationId, params, target.searchParams, body);
    checkResponse(route, answer, label);
    return failure ? failed() : answer;
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const method = (request.method ?? 'GET').toLowerCase();
      let parsed: unknown = raw || undefined;
      try {
        parsed = raw ? JSON.parse(raw) : undefined;
      } catch {
        // Recorded as sent; answerRequest reports it.
      }
      requests.push({ method: method.toUpperCase(), path: request.url ?? '/', headers: { ...request.headers }, body: parsed });
      const answer = answerRequest(method, new URL(request.url ?? '/', url), request.headers, raw);
      const resetAt = String(Math.floor(Date.now() / 1000) + 3600);
      response.writeHead(answer.status, {
        'content-type': 'application/json; charset=utf-8',
        'x-github-api-version-selected': '2022-11-28',
        'x-github-media-type': 'github.v3; format=json',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-reset': resetAt,
        'x-ratelimit-resource': 'core',
        ...answer.headers
      });
      response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    comments,
    requests,
    errors,
    seed(count, body = (index) => `Comment ${index + 1} from a reviewer`, login = OTHER_LOGIN) {
      for (let index = 0; index < count; index++) addComment(body(index), login);
    },
    failNext(times, status, headers = {}, message, only = {}) {
      const method = only.method?.toLowerCase();
      for (let index = 0; index < times; index++) {
        failures.push({ status, headers, message, method, path: only.path, afterHandling: only.afterHandling ?? false });
      }
    },
    forbidWrites(on) {
      writesForbidden = on;
    },
    forbidActionsReads(on) {
      actionsReadsForbidden = on;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((closeError) => (closeError ? reject(closeError) : resolve())));
    }
  };
}
