/**
 * IncrementalAlterConfigs (key 44), v0–1: SET, DELETE, APPEND and SUBTRACT (the last two on list configs
 * such as cleanup.policy) for topics and the broker's dynamic log settings ("0" for this broker, "" for the
 * cluster default). Each resource is checked in full and applied on its own, with its own error;
 * validateOnly checks and changes nothing. Changes persist and take effect at once. See config-alter.ts.
 * ACLs as for AlterConfigs (alterRefusal): ALTER_CONFIGS on the topic, or on the cluster for the broker.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  IncrementalAlterConfigs,
  createIncrementalAlterConfigsResponse,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '../../protocol/messages/incremental-alter-configs.js';
import { alterResource, duplicateResources } from '../config-alter.js';
import { alterRefusal } from './alter-configs.js';
import { defineHandler } from './handler.js';

export const incrementalAlterConfigsHandler = defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>({
  codec: IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    const dup = duplicateResources(req.resources);
    const responses = await Promise.all(
      req.resources.map(async (r) => {
        const key = { resourceType: r.resourceType, resourceName: r.resourceName };
        if (dup.has(`${r.resourceType}:${r.resourceName}`)) {
          return { ...key, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource ${r.resourceName} (type ${r.resourceType}) appears more than once in the request` };
        }
        const refused = alterRefusal(ctx, r.resourceType, r.resourceName);
        if (refused) return { ...key, ...refused };
        const changes = r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value }));
        return { ...key, ...(await alterResource(ctx, r.resourceType, r.resourceName, changes, { replaceAll: false, validateOnly: req.validateOnly })) };
      }),
    );
    return createIncrementalAlterConfigsResponse({ responses });
  },
  errorResponse(req, _version, errorCode, message) {
    return createIncrementalAlterConfigsResponse({ responses: req.resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode, errorMessage: message })) });
  },
});
