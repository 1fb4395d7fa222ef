/**
 * HTTP for the registry client, made safe against a hostile registry: requests
 * that never go where a registry on the internet should not send them (loopback,
 * private or link-local hosts, plain HTTP off loopback), redirects followed by
 * hand and checked hop by hop, and bodies read with a cap.
 */
import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isInternalAddress, isLocalhostName, isLoopback } from './reference.js';

/** Redirects followed per request; each hop is checked like the first. */
export const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A request the client will not make, or an answer it will not read; the message says why, for the log. */
export class Refusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Refusal';
  }
}

/** A whole answer: status, headers and the body, read up to its cap. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request, followed through its redirects. */
export interface Exchange {
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  maxBytes: number;
  /** The registry (`host[:port]`) the request is made for: its answers named the URL. */
  registry: string;
  /** Whether the first URL needs the checks a redirect gets (a token realm does; the registry's own URL does not). */
  checkFirst: boolean;
}

export function header(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

/** `scheme://host:port` of a URL, for the log (never its path or query, which a registry chose). */
export function shown(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

export function baseUrl(registry: string): string {
  return `${isLoopback(registry) ? 'http' : 'https'}://${registry}`;
}

export interface GuardedHttpOptions {
  timeoutMs: number;
  lookup?: LookupFunction;
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
}

/** `send(url, exchange)`: one request and its redirects, each hop admitted, the answer read up to its cap. */
export function createGuardedHttp(options: GuardedHttpOptions): { send: (url: URL, exchange: Exchange) => Promise<Answer> } {
  const { timeoutMs } = options;
  const baseLookup: LookupFunction = options.lookup ?? dnsLookup;
  const ca = options.ca === undefined || typeof options.ca === 'string' || Buffer.isBuffer(options.ca) ? options.ca : [...options.ca];

  /** Resolves like baseLookup, but refuses a host name with any loopback, private or link-local address. */
  const publicLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    baseLookup(hostname, { ...lookupOptions, all: true }, (error, addresses, family) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const list: LookupAddress[] = Array.isArray(addresses) ? addresses : [{ address: addresses, family: family ?? 4 }];
      const internal = list.find((entry) => isInternalAddress(entry.address));
      const first = list[0];
      if (internal !== undefined) callback(new Refusal(`${hostname} resolves to ${internal.address}, not a public address`), '', 0);
      else if (first === undefined) callback(Object.assign(new Error(`${hostname} resolves to no address`), { code: 'ENOTFOUND' }), '', 0);
      else if (lookupOptions.all === true) callback(null, list);
      else callback(null, first.address, first.family);
    });
  };

  /**
   * Checks a URL a registry sent the client to (a token realm, a redirect) and throws a Refusal when the client must
   * not go there; answers whether the connection must check the addresses the host name resolves to.
   */
  function admit(target: URL, registry: string): { checkDns: boolean } {
    if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new Refusal(`${target.protocol} is not HTTP(S)`);
    if (isLoopback(registry)) {
      // The machine's own registry may send the client anywhere but to plain HTTP off loopback.
      if (target.protocol === 'http:' && !isLoopback(target.host)) throw new Refusal(`${shown(target)} is plain HTTP and not on loopback`);
      return { checkDns: false };
    }
    if (target.origin === URL.parse(baseUrl(registry))?.origin) return { checkDns: false };
    if (target.protocol !== 'https:') throw new Refusal(`${shown(target)} is plain HTTP`);
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isLocalhostName(host) || isInternalAddress(host)) throw new Refusal(`${shown(target)} is a loopback, private or link-local address`);
    return { checkDns: true };
  }

  /** One request and its redirects, each hop checked; the Authorization header only goes to the first URL's origin. */
  async function send(url: URL, exchange: Exchange): Promise<Answer> {
    let target = url;
    let checkDns = exchange.checkFirst ? admit(target, exchange.registry).checkDns : false;
    const withoutAuthorization = Object.fromEntries(Object.entries(exchange.headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
    for (let hop = 0; ; hop += 1) {
      const headers = target.origin === url.origin ? exchange.headers : withoutAuthorization;
      const answer = await once(target, exchange.method, headers, exchange.maxBytes, checkDns);
      const location = header(answer.headers, 'location');
      if (!REDIRECTS.has(answer.status) || location === null) return answer;
      if (hop >= MAX_REDIRECTS) throw new Refusal(`more than ${MAX_REDIRECTS} redirects`);
      const next = URL.parse(location, target.href);
      if (next === null) throw new Refusal('a redirect to something that is not a URL');
      if (target.protocol === 'https:' && next.protocol !== 'https:') throw new Refusal(`a redirect from HTTPS to ${shown(next)}`);
      try {
        checkDns = admit(next, exchange.registry).checkDns;
      } catch (error) {
        throw error instanceof Refusal ? new Refusal(`a redirect to ${error.message}`) : error;
      }
      target = next;
    }
  }

  /** One HTTP exchange, with the timeout on the whole of it and the body cut off past maxBytes. Never follows redirects. */
  function once(url: URL, method: 'GET' | 'HEAD', headers: Record<string, string>, maxBytes: number, checkDns: boolean): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      let settled = false;
      let outgoing: ClientRequest | undefined;
      const finish = (error: Error | null, answer?: Answer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outgoing?.destroy();
        if (error !== null) reject(error);
        else resolve(answer!);
      };
      const timer = setTimeout(() => finish(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { name: 'TimeoutError' })), timeoutMs);
      const https = url.protocol === 'https:';
      try {
        outgoing = (https ? httpsRequest : httpRequest)(
          url,
          { method, headers, agent: false, lookup: checkDns ? publicLookup : baseLookup, ...(https && ca !== undefined ? { ca } : {}) },
          (incoming) => {
            const status = incoming.statusCode ?? 0;
            const declared = Number(header(incoming.headers, 'content-length') ?? 0);
            if (REDIRECTS.has(status)) return finish(null, { status, headers: incoming.headers, body: Buffer.alloc(0) });
            if (declared > maxBytes) return finish(new Refusal(`an answer of ${declared} bytes, more than the ${maxBytes} allowed`));
            const chunks: Buffer[] = [];
            let total = 0;
            incoming.on('data', (chunk: Buffer) => {
              total += chunk.length;
              if (total > maxBytes) finish(new Refusal(`an answer of more than ${maxBytes} bytes, cut off there`));
              else chunks.push(chunk);
            });
            incoming.on('end', () => finish(null, { status, headers: incoming.headers, body: Buffer.concat(chunks) }));
            incoming.on('error', (error) => finish(error));
            incoming.on('close', () => finish(new Error('the connection closed before the answer was complete')));
          }
        );
        outgoing.on('error', (error) => finish(error));
        outgoing.end();
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  return { send };
}
