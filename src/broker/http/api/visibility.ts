/**
 * What an /api caller may see. With HTTP basic auth on, each request has a principal (the user name); the
 * security layer sets `ConsoleApiState.visible` to ask its authorizer whether that principal may Describe the
 * topic, group or cluster (as Kafka's Metadata, DescribeGroups/OffsetFetch and DescribeConfigs do). By
 * default everything is visible: without authentication the endpoint is loopback-only and unauthenticated.
 *
 * Lists leave out what is not visible; asking for one by name answers 403. `records` is reading a topic's
 * records (the record browser, captured streams), which Kafka guards with READ rather than DESCRIBE.
 */
import { ApiError } from './api-error.js';

export type ApiResource = 'topic' | 'group' | 'cluster' | 'records';

/** May `principal` (null: no authentication), connecting from `host`, describe (or read) `name`? */
export type ApiVisibility = (principal: string | null, resource: ApiResource, name: string, host?: string) => boolean;

export const EVERYTHING_VISIBLE: ApiVisibility = () => true;

/** The visibility of one request. */
export interface Viewer {
  sees(resource: ApiResource, name: string): boolean;
  /** Throws 403 unless `sees`. */
  require(resource: ApiResource, name: string): void;
}

export function viewer(visible: ApiVisibility, principal: string | null, host?: string): Viewer {
  return {
    sees: (resource, name) => visible(principal, resource, name, host),
    require(resource, name) {
      if (!visible(principal, resource, name, host)) {
        const what = resource === 'records' ? `read the records of topic` : `describe ${resource}`;
        throw new ApiError(403, `${principal ?? 'this client'} may not ${what} ${JSON.stringify(name)}`);
      }
    },
  };
}

export const ALL_VISIBLE_VIEWER: Viewer = viewer(EVERYTHING_VISIBLE, null);
