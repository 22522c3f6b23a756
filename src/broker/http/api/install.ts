/**
 * Registers `/api/...` (JSON for the console and for scripts; documented in the README's "Observe" section)
 * and the console itself (`/` and `/console/...`) on the HTTP endpoint.
 *
 * Every answer is JSON; a request the API will not serve gets `{ "error": "..." }` with 400 (bad parameter),
 * 404 (no such topic, group, stream or path) or 503 (busy, or the group coordinator is not running).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CLUSTER_NAME } from '../../acl/acl-types.js';
import { aclHostOf } from '../../acl/principals.js';
import type { BrokerContext } from '../../context.js';
import { consoleFile } from '../console/static-files.js';
import { packageRoot } from '../console/package-root.js';
import type { HttpRouteInstaller } from '../route-installer.js';
import type { HttpRequestInfo } from '../server.js';
import { ApiError, pathSegments } from './api-error.js';
import { brokerInfo } from './broker-info.js';
import { getGroup, listGroups } from './groups.js';
import { readRecords } from './records.js';
import type { ConsoleApiState } from './service.js';
import { readStreams } from './streams.js';
import { describeTopic, listTopics } from './topics.js';
import { viewer } from './visibility.js';

/** The API's own index, at GET /api/. */
export const API_ENDPOINTS: readonly string[] = [
  'GET /api/broker',
  'GET /api/topics?limit=500&partitionLimit=100',
  'GET /api/topics/{topic}?partitionLimit=10000',
  'GET /api/topics/{topic}/partitions/{partition}/records?limit=50&offset=&maxBytes=&maxValueBytes=1024&format=auto|text|hex&events=auto|off',
  'GET /api/groups?limit=200&partitionLimit=1000',
  'GET /api/groups/{group}?partitionLimit=10000',
  'GET /api/streams?limit=100&maxBytes=',
  'GET /api/streams/{name}?maxBytes=',
  'GET /api/replay', // served by replay-route.ts: the worker mesh's per-process frontiers
];

async function answer(broker: BrokerContext, state: ConsoleApiState, req: IncomingMessage, info: HttpRequestInfo): Promise<unknown> {
  const url = info.url;
  const who = viewer(state.visible, info.principal, aclHostOf(req.socket.remoteAddress));
  const [resource, id, sub, partition, leaf, ...extra] = pathSegments(url.pathname, '/api/');
  const logs = broker.logs;
  const limits = { maxBytes: broker.config.httpApiMaxBytes, maxInflatedBytes: broker.config.maxInflatedBatchBytes };
  switch (resource) {
    case undefined:
      return { endpoints: API_ENDPOINTS };
    case 'broker':
      who.require('cluster', CLUSTER_NAME);
      if (id === undefined) return brokerInfo(broker, packageRoot().version, state.startedAt, req.socket.localPort ?? null);
      break;
    case 'topics':
      if (id === undefined) return listTopics(logs, state.sampler, url, who);
      if (sub === undefined) return describeTopic(logs, state.sampler, id, url, who);
      if (sub === 'partitions' && partition !== undefined && leaf === 'records' && extra.length === 0) {
        return state.reads.run(() => readRecords(logs, id, partition, url, limits, who));
      }
      break;
    case 'groups':
      if (id === undefined) return listGroups(broker, url, who);
      if (sub === undefined) return getGroup(broker, id, url, who);
      break;
    case 'streams':
      if (sub === undefined) return readStreams(logs, state.streams, state.reads, url, limits, id, who);
      break;
  }
  throw new ApiError(404, `no such API path: ${url.pathname} (GET /api/ lists them)`);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export const installConsoleApi: HttpRouteInstaller = (http, broker) => {
  const state = broker.services.consoleApi;
  if (!state) throw new Error('the console API service did not start (is --http-port set?)');
  http.registerRoute('GET', '/api/', async (req: IncomingMessage, res: ServerResponse, info: HttpRequestInfo) => {
    try {
      sendJson(res, 200, await answer(broker, state, req, info));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      sendJson(res, err.status, { error: err.message });
    }
  });
  const serve = async (name: string, res: ServerResponse): Promise<void> => {
    const file = consoleFile(name);
    if (!file) {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(name === '' ? 'no such path (the console is at /, its JSON API at /api/)\n' : `no console file ${name}\n`);
      return;
    }
    const { body, contentType } = await file;
    res.statusCode = 200;
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', body.length);
    // The files change only with the package; the page itself is revalidated so an upgrade shows at once.
    res.setHeader('Cache-Control', name === 'index.html' ? 'no-cache' : 'max-age=300');
    res.end(body);
  };
  // "/" is a prefix route (it matches every path no other route takes): only "/" itself is the console.
  http.registerRoute('GET', '/', (_req, res, info) => serve(info.url.pathname === '/' ? 'index.html' : '', res));
  http.registerRoute('GET', '/console/', (_req, res, info) => serve(info.url.pathname.slice('/console/'.length), res));
};
