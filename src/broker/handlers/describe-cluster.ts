/**
 * DescribeCluster (key 60), v0–1: this single node, which is also the controller.
 */
import { DescribeCluster, createDescribeClusterResponse, type DescribeClusterRequest, type DescribeClusterResponse } from '../../protocol/messages/describe-cluster.js';
import { defineHandler } from './handler.js';

export const describeClusterHandler = defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  codec: DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    const b = ctx.broker;
    return createDescribeClusterResponse({
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
