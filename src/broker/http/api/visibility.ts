/**
 * What an /api caller may see. With HTTP basic auth on, each request has a principal (the user name); the
 * security layer sets `ConsoleApiState.visible` to ask its authorizer whether that principal may Describe the
 * topic, group or cluster (as Kafka's Metadata, DescribeGroups/OffsetFetch and DescribeConfigs do). By
 * default everything is visible: without authentication the endpoint is loopback-only and unauthenticated.
 *
 * Lists leave out what is not visible; asking for one by name answers 403.
 */
import { ApiError } from './api-error.js';

export type ApiResource = 'topic' | 'group' | 'cluster';

/** May `principal` (null: no authentication) describe `name`? */
export type ApiVisibility = (principal: string | null, resource: ApiResource, name: string) => boolean;

export const EVERYTHING_VISIBLE: ApiVisibility = () => true;

/** The visibility of one request. */
export interface Viewer {
  sees(resource: ApiResource, name: string): boolean;
  /** Throws 403 unless `sees`. */
  require(resource: ApiResource, name: string): void;
}

export function viewer(visible: ApiVisibility, principal: string | null): Viewer {
  return {
    sees: (resource, name) => visible(principal, resource, name),
    require(resource, name) {
      if (!visible(principal, resource, name)) {
        throw new ApiError(403, `${principal ?? 'this client'} may not describe ${resource} ${JSON.stringify(name)}`);
      }
    },
  };
}

export const ALL_VISIBLE_VIEWER: Viewer = viewer(EVERYTHING_VISIBLE, null);
