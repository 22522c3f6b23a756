/** Workers: run a job on worker threads with Timely's -w / -n / -p / -h. */
export { execute, WorkerError, ExecutionStoppedError } from './execute.js';
export type { JobSpec, ExecuteOptions } from './execute.js';
export { parseWorkerArgs, validateConfig, WorkerArgsError } from './args.js';
export { parseHostfile, readHostfile, defaultHosts } from './hosts.js';
export { MeshSetupError, PeerProcessError } from './mesh-errors.js';
export type { ExecuteConfig } from './args.js';
export { streamsOf } from './context.js';
export type { WorkerContext, Job } from './context.js';
export { workerPort } from '../util/worker-port.js';
export type { MeshSecurityConfig } from './args.js';
export type { MeshTlsOptions } from './process-mesh.js';
export { MESH_SECRET_ENV } from './mesh-auth.js';
export type { ExchangeFrontier, ProcessFrontier, MeshStallReport } from './mesh-frontiers.js';
