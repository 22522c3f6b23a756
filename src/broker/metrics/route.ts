/** `/metrics`: the broker's registry in Prometheus text format (filled in by metrics/). */
import { AclOperation, CLUSTER_NAME, ResourceType } from '../acl/acl-types.js';
import { aclHostOf, userPrincipal } from '../acl/principals.js';
import '../acl/service.js';
import type { HttpRouteInstaller } from '../http/route-installer.js';
import { plain } from '../http/server.js';

export const installMetricsRoute: HttpRouteInstaller = (http, broker) => {
  http.registerRoute('GET', '/metrics', async (req, res, info) => {
    // Under --authorizer acl: the series name every topic and group, so the scraper needs what listing them
    // all through Kafka needs, DESCRIBE on the cluster.
    const authorizer = broker.services.authorizer;
    const principal = userPrincipal(info.principal);
    if (authorizer && !authorizer.authorize(principal, aclHostOf(req.socket.remoteAddress), AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME)) {
      return plain(res, 403, `${principal} may not DESCRIBE the cluster, which /metrics needs (kafkaesque acls add --allow-principal ${principal} --operation describe --cluster)\n`);
    }
    const metrics = broker.services.metrics;
    if (!metrics) return plain(res, 503, 'metrics are not collected\n');
    const body = await metrics.scrape();
    res.statusCode = 200;
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  });
};
