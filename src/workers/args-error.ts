/** Bad worker flags or configuration (-w, -n, -p, -h): the message says which and what is expected. */
export class WorkerArgsError extends Error {
  override readonly name = 'WorkerArgsError';
}
