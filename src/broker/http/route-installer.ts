/** The contract of a module that adds HTTP routes (listed in routes.ts); its own file so modules import only it. */
import type { BrokerContext } from '../context.js';
import type { HttpServer } from './server.js';

/** Runs once the broker state is ready (logs open, services started), with the server and the broker. */
export type HttpRouteInstaller = (http: HttpServer, broker: BrokerContext) => void;
