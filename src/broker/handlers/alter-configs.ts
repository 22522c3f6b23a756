/**
 * AlterConfigs (key 33), v0–2: replaces the whole config set of each resource (a topic, or the broker's
 * dynamic log settings: "0" for this broker, "" for the cluster default); configs not named return to their
 * defaults, as in Kafka. Each resource is checked and applied on its own and gets its own error;
 * validateOnly checks and changes nothing. See config-alter.ts.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AlterConfigs, createAlterConfigsResponse, type AlterConfigsRequest, type AlterConfigsResponse } from '../../protocol/messages/alter-configs.js';
import { alterResource, AlterOp, duplicateResources } from '../config-alter.js';
import { defineHandler } from './handler.js';

export const alterConfigsHandler = defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  codec: AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const dup = duplicateResources(req.resources);
    const responses = await Promise.all(
      req.resources.map(async (r) => {
        const key = { resourceType: r.resourceType, resourceName: r.resourceName };
        if (dup.has(`${r.resourceType}:${r.resourceName}`)) {
          return { ...key, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource ${r.resourceName} (type ${r.resourceType}) appears more than once in the request` };
        }
        const changes = r.configs.map((c) => ({ name: c.name, op: AlterOp.SET, value: c.value }));
        return { ...key, ...(await alterResource(ctx, r.resourceType, r.resourceName, changes, { replaceAll: true, validateOnly: req.validateOnly })) };
      }),
    );
    return createAlterConfigsResponse({ responses });
  },
  errorResponse(req, _version, errorCode, message) {
    return createAlterConfigsResponse({ responses: req.resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode, errorMessage: message })) });
  },
});
