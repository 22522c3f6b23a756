/**
 * The console API's visibility under `--authorizer acl`: the HTTP principal (`User:<basic-auth user>`, or
 * User:ANONYMOUS without authentication, as on a PLAINTEXT listener) needs what the Kafka API would need to
 * see the same thing: DESCRIBE on a topic (Metadata) or group (DescribeGroups), READ on a topic to see its
 * records (Fetch), and DESCRIBE_CONFIGS on the cluster for the broker page, which lists every setting
 * (DescribeConfigs of the broker).
 */
import type { BrokerContext } from '../../context.js';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../../acl/acl-types.js';
import { userPrincipal } from '../../acl/principals.js';
import '../../acl/service.js';
import type { ApiResource, ApiVisibility } from './visibility.js';

const NEEDS: Record<ApiResource, { type: number; operation: number }> = {
  topic: { type: ResourceType.TOPIC, operation: AclOperation.DESCRIBE },
  records: { type: ResourceType.TOPIC, operation: AclOperation.READ },
  group: { type: ResourceType.GROUP, operation: AclOperation.DESCRIBE },
  cluster: { type: ResourceType.CLUSTER, operation: AclOperation.DESCRIBE_CONFIGS },
};

export function aclVisibility(broker: BrokerContext): ApiVisibility {
  return (user, resource, name, host) => {
    // Looked up per call: the authorizer is removed when the broker stops, and then nothing is shown.
    const authorizer = broker.services.authorizer;
    if (!authorizer) return false;
    const { type, operation } = NEEDS[resource];
    const principal = userPrincipal(user);
    return authorizer.authorize(principal, host ?? '', operation, type, type === ResourceType.CLUSTER ? CLUSTER_NAME : name);
  };
}
