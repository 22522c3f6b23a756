/**
 * DescribeCluster (key 60), v0–1: this single node, which is also the controller.
 */
import { DescribeCluster, type DescribeClusterRequest, type DescribeClusterResponse } from '../../protocol/messages/describe-cluster.js';
import { defineHandler } from './handler.js';

const NO_OPERATIONS = -2147483648;

export const describeClusterHandler = defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  codec: DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    const b = ctx.broker;
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType: req.endpointType,
      clusterId: b.clusterId,
      controllerId: b.nodeId,
      brokers: [{ brokerId: b.nodeId, host: b.advertisedHost, port: b.advertisedPort, rack: null }],
      clusterAuthorizedOperations: NO_OPERATIONS,
    };
  },
  errorResponse(req, _version, errorCode, message) {
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage: message,
      endpointType: req.endpointType,
      clusterId: '',
      controllerId: -1,
      brokers: [],
      clusterAuthorizedOperations: NO_OPERATIONS,
    };
  },
});
