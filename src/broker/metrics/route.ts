/** `/metrics`: the broker's registry in Prometheus text format (filled in by metrics/). */
import type { HttpRouteInstaller } from '../http/route-installer.js';
import { plain } from '../http/server.js';

export const installMetricsRoute: HttpRouteInstaller = (http, broker) => {
  http.registerRoute('GET', '/metrics', async (_req, res) => {
    const metrics = broker.services.metrics;
    if (!metrics) return plain(res, 503, 'metrics are not collected\n');
    const body = await metrics.scrape();
    res.statusCode = 200;
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  });
};
