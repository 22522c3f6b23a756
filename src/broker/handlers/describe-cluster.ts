/**
 * DescribeCluster (key 60), v0–1: this single node, which is also the controller.
 */
import { DescribeCluster, createDescribeClusterResponse, type DescribeClusterRequest, type DescribeClusterResponse } from '../../protocol/messages/describe-cluster.js';
import { AclOperation, ResourceType, allowedOnCluster, authorizedOperations } from '../acl/check.js';
import { CLUSTER_NAME } from '../acl/acl-types.js';
import { defineHandler } from './handler.js';

export const describeClusterHandler = defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  codec: DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    const b = ctx.broker;
    // As Kafka: no refusal here; the authorized operations (when asked) are 0 without DESCRIBE on the cluster.
    const operations = req.includeClusterAuthorizedOperations && b.services.authorizer ? (allowedOnCluster(ctx, AclOperation.DESCRIBE) ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_NAME) : 0) : undefined;
    return createDescribeClusterResponse({
      ...(operations === undefined ? {} : { clusterAuthorizedOperations: operations }),
      endpointType: req.endpointType,
      clusterId: b.clusterId,
      controllerId: b.nodeId,
      brokers: [{ brokerId: b.nodeId, host: b.advertisedHost, port: b.advertisedPort, rack: null }],
    });
  },
  errorResponse(req, _version, errorCode, message) {
    return createDescribeClusterResponse({ errorCode, errorMessage: message, endpointType: req.endpointType });
  },
});
