/**
 * `controller_mutation_rate` enforcement (KIP-599): partitions created or deleted per second by
 * CreateTopics, CreatePartitions and DeleteTopics, measured with a token bucket as Kafka measures it.
 * The bucket holds at most rate × (quota.window.num - 1) × quota.window.size of credit, starts full, refills
 * at the rate, and each mutation takes its partition count out; it may go below zero. While it is below
 * zero the quota is exceeded, and the throttle time is how long the refill takes to bring it back to zero.
 *
 * Two behaviours, by request version, as Kafka has them:
 * - strict (CreateTopics v6+, CreatePartitions v3+, DeleteTopics v5+): a topic reached while the bucket
 *   is below zero is refused with THROTTLING_QUOTA_EXCEEDED, and the response carries the throttle time
 *   (the client backs off itself, KIP-219); a topic reached while it is not is accepted whole, even if that
 *   takes the bucket below zero;
 * - permissive (older versions, whose clients do not know the error): every topic is accepted, and the
 *   answer is delayed by the throttle time.
 * Requests with validateOnly mutate nothing and are not counted.
 */
import type { RequestContext } from '../context.js';
import type { ClientQuotas } from './client-quotas.js';
import { quotaUser, sensorName, throttleDelay, type QuotaService } from './throttle.js';

const INT32_MAX = 2_147_483_647;

/** Buckets kept before full (idle) ones are dropped: bounded by the clients mutating within a window. */
const MAX_BUCKETS = 10_000;

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + (this.ratePerSec * Math.max(0, now - this.last)) / 1000);
    this.last = now;
  }

  exceeded(now: number): boolean {
    this.refill(now);
    return this.tokens < 0;
  }

  take(n: number, now: number): void {
    this.refill(now);
    this.tokens -= n;
  }

  /** ms until the bucket is back at zero (0 when it is not below). */
  throttleMs(now: number): number {
    this.refill(now);
    // Capped at int32: throttle_time_ms is an INT32 and setTimeout's limit is the same (a tiny rate set by an
    // admin would otherwise overflow both). A client that closes its connection is not waited for.
    return this.tokens < 0 ? Math.min(INT32_MAX, Math.ceil((-this.tokens / this.ratePerSec) * 1000)) : 0;
  }

  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }
}

export class ControllerMutationQuotas {
  private readonly buckets = new Map<string, TokenBucket>();
  private bucketsVersion = -1;

  constructor(
    private readonly quotas: ClientQuotas,
    private readonly windowNum: number,
    private readonly windowSizeMs: number,
  ) {}

  /** The bucket this client's mutations count against, or null when no controller_mutation_rate applies. */
  bucketFor(user: string, clientId: string, now: number): TokenBucket | null {
    if (this.quotas.size === 0) return null;
    const q = this.quotas.resolve(user, clientId, 'controller_mutation_rate');
    if (!q) return null;
    if (this.bucketsVersion !== this.quotas.version) {
      this.buckets.clear(); // a changed quota starts every bucket afresh, as Kafka recreates its sensors
      this.bucketsVersion = this.quotas.version;
    }
    const name = sensorName(q.entity, user, clientId, 'controller_mutation_rate');
    let bucket = this.buckets.get(name);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) for (const [k, b] of this.buckets) if (b.full(now)) this.buckets.delete(k);
      const burst = q.limit * (this.windowNum - 1) * (this.windowSizeMs / 1000);
      this.buckets.set(name, (bucket = new TokenBucket(q.limit, burst, now)));
    }
    return bucket;
  }

  get bucketCount(): number {
    return this.buckets.size;
  }
}

/** One request's view of its client's mutation quota. */
export interface MutationQuota {
  /** Strict requests: true when this topic must be refused with THROTTLING_QUOTA_EXCEEDED (nothing recorded). */
  refuses(): boolean;
  /** Counts `partitions` created or deleted. */
  record(partitions: number): void;
  /**
   * The response's throttle time, waited out first for a permissive request. Strict: the time a refused
   * topic was told to wait (0 if none was refused); permissive: the bucket's deficit after this request.
   */
  finish(): Promise<number>;
}

/** One set of buckets per quota service (a broker has one), made on first use. */
const bucketsOf = new WeakMap<QuotaService, ControllerMutationQuotas>();

export function controllerMutationQuotas(service: QuotaService): ControllerMutationQuotas {
  let m = bucketsOf.get(service);
  if (!m) bucketsOf.set(service, (m = new ControllerMutationQuotas(service.quotas, service.num, service.sizeMs)));
  return m;
}

const NO_QUOTA: MutationQuota = { refuses: () => false, record: () => undefined, finish: () => Promise.resolve(0) };

export const THROTTLED_MESSAGE = 'The controller mutation quota (controller_mutation_rate) is exceeded; retry after throttle_time_ms.';

export function mutationQuota(ctx: RequestContext, strict: boolean): MutationQuota {
  const service = ctx.broker.services.quotas;
  if (!service || service.quotas.size === 0) return NO_QUOTA; // no quotas set: nothing to do
  const bucket = controllerMutationQuotas(service).bucketFor(quotaUser(ctx), ctx.clientId ?? '', Date.now());
  if (!bucket) return NO_QUOTA;
  let refusedThrottle = 0;
  return {
    refuses() {
      if (!strict) return false;
      const now = Date.now();
      if (!bucket.exceeded(now)) return false;
      refusedThrottle = Math.max(refusedThrottle, bucket.throttleMs(now));
      return true;
    },
    record(partitions) {
      bucket.take(partitions, Date.now());
    },
    async finish() {
      if (strict) return refusedThrottle;
      const ms = bucket.throttleMs(Date.now());
      await throttleDelay(ctx, ms);
      return ms;
    },
  };
}
