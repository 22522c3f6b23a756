/**
 * The broker's HTTP endpoint (`--http-port`): a small router on node's http (or https) server. Other modules
 * add routes with `registerRoute(method, path, handler)` (see routes.ts for the broker's own); a path ending
 * in "/" matches everything below it, any other path matches exactly, and the longest match wins.
 *
 * Hostile clients are bounded by node's own limits, set explicitly here: header size, the time to send the
 * headers and the whole request, idle keep-alive sockets, and the number of sockets. None of this touches the
 * Kafka listener: a slow HTTP client holds at most one of `maxConnections` HTTP sockets.
 *
 * Security hook (issue 13's listeners and users): pass `tls` (key/cert or a secureContext) to serve HTTPS,
 * and `authenticate(user, password)` to require HTTP basic auth on every route not registered `public`.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import type { Logger } from 'pino';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpRequestInfo {
  /** The parsed request URL (path and query). */
  readonly url: URL;
  /** The authenticated user name, or null when no `authenticate` is configured (or the route is public). */
  readonly principal: string | null;
}

/** Writes the whole response. A throw or rejection answers 500 (if nothing was sent yet) and is logged. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse, info: HttpRequestInfo) => unknown;

export interface RouteOptions {
  /** Served without authentication (health probes). */
  public?: boolean;
}

/** The limits a hostile or broken HTTP client meets. Node's defaults apply to none of them implicitly here. */
export interface HttpLimits {
  /** Largest request head (request line + headers) in bytes; beyond it the client gets 431. */
  maxHeaderSize: number;
  /** Time to receive the complete request head (slowloris), ms. */
  headersTimeoutMs: number;
  /** Time to receive the complete request, ms. */
  requestTimeoutMs: number;
  /** Idle keep-alive sockets are closed after this, ms. */
  keepAliveTimeoutMs: number;
  /** Open HTTP sockets at most; more are closed at accept. */
  maxConnections: number;
}

// No Kafka equivalent. A scrape or a console page needs a few sockets and a few KiB of headers; 16 KiB is
// node's own default head size, 10 s for the head and 30 s for a request are far above any local client.
export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  maxHeaderSize: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 64,
});

export interface HttpServerOptions {
  host: string;
  port: number;
  logger: Logger;
  limits?: Partial<HttpLimits>;
  /** Serve HTTPS with these TLS settings (key/cert, or `secureContext`); plain HTTP when absent. */
  tls?: tls.TlsOptions;
  /** Require HTTP basic auth: true lets the request through as `user`. */
  authenticate?: (user: string, password: string) => boolean | Promise<boolean>;
  /** Realm named in the 401 challenge. */
  realm?: string;
}

interface Route {
  method: HttpMethod;
  path: string;
  prefix: boolean;
  handler: HttpHandler;
  public: boolean;
}

export class HttpServer {
  private readonly server: http.Server | https.Server;
  private readonly routes: Route[] = [];
  private readonly sockets = new Set<net.Socket>();
  /** False until the broker serves Kafka requests; unmatched paths then answer 503 instead of 404. */
  private started = false;
  readonly limits: Readonly<HttpLimits>;
  /** Clients refused by a limit, by limit (read by the metrics at scrape time). */
  readonly refusals = { maxConnections: 0, maxHeaderSize: 0, requestTimeout: 0 };

  constructor(private readonly options: HttpServerOptions) {
    const limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
    this.limits = limits;
    const serverOptions: http.ServerOptions = {
      maxHeaderSize: limits.maxHeaderSize,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // The timers above are checked on this period (node's default is 30 s, too coarse for a 10 s deadline).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    };
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => this.dispatch(req, res);
    this.server = options.tls ? https.createServer({ ...options.tls, ...serverOptions }, onRequest) : http.createServer(serverOptions, onRequest);
    this.server.maxConnections = limits.maxConnections;
    this.server.on('drop', () => this.refusals.maxConnections++);
    this.server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
      options.logger.debug({ err: err.message, code: err.code }, 'bad HTTP request');
      if (err.code === 'HPE_HEADER_OVERFLOW') this.refusals.maxHeaderSize++;
      else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') this.refusals.requestTimeout++;
      if (!socket.writable) return socket.destroy();
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    });
    this.server.on('error', (err) => options.logger.error({ err }, 'HTTP server error'));
  }

  /**
   * Adds a route. `path` ending in "/" matches every path below it ("/api/" matches "/api/topics"); others match
   * exactly. HEAD is served by the GET route. Registering the same method and path twice is an error.
   */
  registerRoute(method: HttpMethod, path: string, handler: HttpHandler, options: RouteOptions = {}): void {
    if (!path.startsWith('/')) throw new Error(`HTTP route "${path}" must start with "/"`);
    if (this.routes.some((r) => r.method === method && r.path === path)) throw new Error(`HTTP route ${method} ${path} is already registered`);
    this.routes.push({ method, path, prefix: path.endsWith('/'), handler, public: options.public ?? false });
  }

  /** Marks the broker as serving (unmatched paths answer 404 from now on rather than 503). */
  markStarted(): void {
    this.started = true;
  }

  get isTls(): boolean {
    return this.options.tls !== undefined;
  }

  /** New certificates for connections accepted from now on (SIGHUP); open ones keep theirs. */
  reloadTls(options: tls.SecureContextOptions): void {
    if (!(this.server instanceof https.Server)) throw new Error('the HTTP endpoint does not serve HTTPS');
    this.server.setSecureContext(options);
  }

  /** Binds; returns the address actually bound (port 0 picks a free one). */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        const addr = this.server.address() as net.AddressInfo;
        resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  /** Stops accepting and closes every socket (a scrape in progress is cut: the broker is going away). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private match(method: string, path: string): { route: Route | null; allowed: HttpMethod[] } {
    let best: Route | null = null;
    const allowed = new Set<HttpMethod>();
    let bestLength = -1;
    for (const r of this.routes) {
      const hit = r.prefix ? path.startsWith(r.path) : path === r.path;
      if (!hit || r.path.length < bestLength) continue;
      if (r.path.length > bestLength) allowed.clear();
      bestLength = r.path.length;
      allowed.add(r.method);
      if (r.method === method || (method === 'HEAD' && r.method === 'GET')) best = r;
    }
    return { route: best, allowed: [...allowed] };
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return plain(res, 400, 'bad request URL\n');
    }
    const { route, allowed } = this.match(req.method ?? 'GET', url.pathname);
    if (!route) {
      if (allowed.length > 0) {
        res.setHeader('Allow', allowed.join(', '));
        return plain(res, 405, `method ${req.method} not allowed; use ${allowed.join(' or ')}\n`);
      }
      return this.started ? plain(res, 404, `no such path: ${url.pathname}\n`) : plain(res, 503, 'broker starting (opening logs)\n');
    }
    const authenticate = this.options.authenticate;
    if (route.public || !authenticate) return this.run(route, req, res, { url, principal: null });
    const credentials = basicCredentials(req.headers.authorization);
    const challenge = (): void => {
      res.setHeader('WWW-Authenticate', `Basic realm="${this.options.realm ?? 'kafkaesque'}", charset="UTF-8"`);
      plain(res, 401, 'authentication required\n');
    };
    if (!credentials) return challenge();
    Promise.resolve()
      .then(() => authenticate(credentials.user, credentials.password))
      .then(
        (ok) => (ok ? this.run(route, req, res, { url, principal: credentials.user }) : challenge()),
        (err: unknown) => this.failed(res, err),
      );
  }

  private run(route: Route, req: IncomingMessage, res: ServerResponse, info: HttpRequestInfo): void {
    try {
      const done = route.handler(req, res, info);
      if (done instanceof Promise) done.catch((err: unknown) => this.failed(res, err));
    } catch (err) {
      this.failed(res, err);
    }
  }

  private failed(res: ServerResponse, err: unknown): void {
    this.options.logger.error({ err }, 'HTTP handler failed');
    if (!res.headersSent) plain(res, 500, `internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    else res.destroy();
  }
}

/** Writes a short text/plain response. */
export function plain(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** Writes a JSON response. */
export function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  if (!header) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
