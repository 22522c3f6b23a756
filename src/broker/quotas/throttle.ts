/**
 * Quota enforcement: a rate sensor per quota key and entity, measured as Kafka measures it (quota.window.num
 * samples of quota.window.size; the rate over at least num-1 whole samples, so a new client gets a burst of
 * that many seconds before it is slowed), and the throttle time Kafka derives from it:
 * (rate - limit) / limit * window, at most one whole window. A throttled request is answered after that delay
 * with throttle_time_ms set, so a greedy client is slowed, not refused.
 *
 * Sensors exist only for clients matching a quota, and are dropped when quotas change or after they stay idle
 * a whole window, so their number is bounded by the clients active within a window.
 */
import type { RequestContext } from '../context.js';
import { ClientQuotas, type QuotaEntity, type QuotaKey } from './client-quotas.js';

declare module '../context.js' {
  interface BrokerServices {
    quotas: QuotaService;
  }
}

interface Sample {
  start: number;
  value: number;
}

export class RateSensor {
  private readonly samples: Sample[] = [];

  constructor(
    private readonly num: number,
    private readonly sizeMs: number,
  ) {}

  record(value: number, now: number): void {
    const last = this.samples.at(-1);
    if (last && now - last.start < this.sizeMs) last.value += value;
    else {
      this.samples.push({ start: now, value });
      if (this.samples.length > this.num) this.samples.shift();
    }
    this.purge(now);
  }

  /** Units per second over the kept samples (and at least num-1 whole samples). */
  rate(now: number): number {
    this.purge(now);
    const first = this.samples[0];
    if (!first) return 0;
    const total = this.samples.reduce((n, s) => n + s.value, 0);
    const elapsed = Math.max(now - first.start, (this.num - 1) * this.sizeMs);
    return (total * 1000) / elapsed;
  }

  /** Milliseconds the measured window spans (what Kafka multiplies the excess by). */
  windowMs(now: number): number {
    const first = this.samples[0];
    return Math.max(first ? now - first.start : 0, (this.num - 1) * this.sizeMs);
  }

  idleSince(now: number): boolean {
    const last = this.samples.at(-1);
    return !last || now - last.start > this.num * this.sizeMs;
  }

  private purge(now: number): void {
    while (this.samples.length > 0 && now - this.samples[0]!.start > this.num * this.sizeMs) this.samples.shift();
  }
}

export class QuotaService {
  private readonly sensors = new Map<string, RateSensor>();
  private sensorsVersion = -1;

  constructor(
    readonly quotas: ClientQuotas,
    /** quota.window.num and the sample length: controller-mutation.ts sizes its token buckets from them. */
    readonly num: number,
    readonly sizeMs: number,
  ) {}

  /**
   * Records `amount` against the quota `key` of this user and client id; returns the throttle time in ms
   * (0 when no quota applies or the client is within it).
   */
  record(user: string, clientId: string, key: QuotaKey, amount: number, at?: number): number {
    if (this.quotas.size === 0) return 0; // the common case costs one comparison
    const q = this.quotas.resolve(user, clientId, key);
    if (!q) return 0;
    const now = at ?? Date.now();
    if (this.sensorsVersion !== this.quotas.version) {
      this.sensors.clear();
      this.sensorsVersion = this.quotas.version;
    }
    const name = sensorName(q.entity, user, clientId, key);
    let sensor = this.sensors.get(name);
    if (!sensor) {
      if (this.sensors.size > 10_000) this.dropIdle(now);
      this.sensors.set(name, (sensor = new RateSensor(this.num, this.sizeMs)));
    }
    sensor.record(amount, now);
    const rate = sensor.rate(now);
    if (rate <= q.limit) return 0;
    const throttle = ((rate - q.limit) / q.limit) * sensor.windowMs(now);
    return Math.min(Math.round(throttle), this.num * this.sizeMs);
  }

  get sensorCount(): number {
    return this.sensors.size;
  }

  private dropIdle(now: number): void {
    for (const [k, s] of this.sensors) if (s.idleSince(now)) this.sensors.delete(k);
  }
}

/**
 * Clients share the sensor of the entity that matched, with its default parts filled in by their own names:
 * /users/alice shares one rate among all of alice's clients; /clients/<default> gives each client id its own.
 */
export function sensorName(e: QuotaEntity, user: string, clientId: string, key: QuotaKey): string {
  return JSON.stringify([key, e.user === undefined ? null : user, e.clientId === undefined ? null : clientId]);
}

/**
 * The user name quotas apply to: the principal's name without its `User:` type, as Kafka's quota manager
 * uses KafkaPrincipal.getName (`User:alice` is user alice). An unauthenticated client is `User:ANONYMOUS`,
 * so its name is ANONYMOUS: in Kafka that is an ordinary user name, matched by /users/ANONYMOUS or else by
 * the default user entity (/users/<default>), and so it is here.
 */
export function quotaUser(ctx: RequestContext): string {
  const principal = ctx.principal;
  const colon = principal.indexOf(':');
  return colon < 0 ? principal : principal.slice(colon + 1);
}

/** Records the request against the quota; returns the throttle time for the response (0: none). */
export function recordQuota(ctx: RequestContext, key: QuotaKey, amount: number): number {
  const q = ctx.broker.services.quotas;
  // No quota set (the common case): no principal parsing either.
  if (!q || q.quotas.size === 0) return 0;
  return q.record(quotaUser(ctx), ctx.clientId ?? '', key, amount);
}

/** Records the request against the quota and waits out its throttle time; returns that time. */
export async function throttle(ctx: RequestContext, key: QuotaKey, amount: number): Promise<number> {
  const ms = recordQuota(ctx, key, amount);
  await throttleDelay(ctx, ms);
  return ms;
}

/** Waits `ms` (a throttle time), or until the connection closes. */
export async function throttleDelay(ctx: RequestContext, ms: number): Promise<void> {
  if (ms <= 0) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    ctx.signal.addEventListener('abort', done, { once: true });
  });
}

export async function startQuotas(broker: import('../context.js').BrokerContext): Promise<void> {
  let quotas: ClientQuotas;
  try {
    quotas = await ClientQuotas.load(broker.config.dataDir);
  } catch (err) {
    // Written atomically, so only a hand edit gets here: start without quotas rather than not at all.
    broker.logger.error({ err: (err as Error).message }, 'client-quotas.json is unreadable; starting with no client quotas (fix or remove the file)');
    quotas = ClientQuotas.empty(broker.config.dataDir);
  }
  broker.services.quotas = new QuotaService(quotas, broker.config.quotaWindowNum, broker.config.quotaWindowSizeMs);
}
