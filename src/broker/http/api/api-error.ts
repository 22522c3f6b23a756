/**
 * What an /api handler throws for a request it will not serve: the HTTP status and a message that says what
 * to change. The route wrapper (routes.ts) turns it into `{ "error": message }` with that status.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: 400 | 403 | 404 | 503,
    message: string,
  ) {
    super(message);
  }
}

/** An integer query parameter in [min, max]; `fallback` when absent. Anything else is a 400 naming the bounds. */
export function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ApiError(400, `query parameter "${name}" must be an integer, got ${JSON.stringify(raw.slice(0, 40))}`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ApiError(400, `query parameter "${name}" must be between ${min} and ${max}, got ${raw.slice(0, 40)}`);
  }
  return value;
}

/** A query parameter limited to `values`; `fallback` when absent. */
export function enumParam<T extends string>(url: URL, name: string, values: readonly T[], fallback: T): T {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) {
    throw new ApiError(400, `query parameter "${name}" must be one of ${values.join(', ')}, got ${JSON.stringify(raw.slice(0, 40))}`);
  }
  return raw as T;
}

/** Splits what follows a route's prefix into decoded path segments; a malformed escape is a 400. */
export function pathSegments(pathname: string, prefix: string): string[] {
  const rest = pathname.slice(prefix.length).replace(/\/+$/, '');
  if (rest === '') return [];
  return rest.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new ApiError(400, `path segment ${JSON.stringify(segment.slice(0, 40))} is not valid percent-encoding`);
    }
  });
}

/** Offsets are int64 in Kafka; JSON numbers hold them exactly below 2^53, which no real log reaches. */
export function offsetNumber(offset: bigint): number {
  return Number(offset);
}
