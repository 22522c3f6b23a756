/**
 * What the HTTP endpoint serves beyond health: each module adds its routes with one line here. An installer
 * (route-installer.ts) runs once the broker state is ready (logs open, services started).
 *
 *   export const installMyRoutes: HttpRouteInstaller = (http, broker) => http.registerRoute('GET', '/api/x', ...);
 */
import type { HttpRouteInstaller } from './route-installer.js';
import { installMetricsRoute } from '../metrics/route.js';
import { installConsoleApi } from './api/install.js';
import { installReplayRoute } from './replay-route.js';

export type { HttpRouteInstaller } from './route-installer.js';

export const httpRouteInstallers: HttpRouteInstaller[] = [installMetricsRoute, installConsoleApi, installReplayRoute];
