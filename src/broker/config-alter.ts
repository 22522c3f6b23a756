/**
 * Changing configs, shared by AlterConfigs (replace a resource's whole set) and IncrementalAlterConfigs
 * (SET, DELETE, APPEND, SUBTRACT per config), for topics (stored in the catalog) and the broker's dynamic log
 * settings (dynamic-configs.ts). Every change is checked in full before anything is written; validateOnly
 * stops there. Changes of one resource are serialized, so two incremental changes never lose each other.
 */
import { ErrorCode, errorCodeOf } from '../protocol/errors.js';
import type { RequestContext } from './context.js';
import { canonicalBrokerConfig, isDynamicBrokerConfig, type BrokerScope } from './dynamic-configs.js';
import { canonicalTopicConfig, logConfigProblem } from './topic-configs.js';
import { TOPIC_CONFIG_BY_NAME } from './topic-config-defs.js';
import { topicNameProblem } from './topic-name.js';

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;

/** IncrementalAlterConfigs operations (AlterConfigOp.OpType). */
export const AlterOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface ConfigChange {
  name: string;
  /** For the legacy AlterConfigs every change is a SET of the whole set (see `replaceAll`). */
  op: number;
  value: string | null;
}

export interface AlterOutcome {
  errorCode: number;
  errorMessage: string | null;
}

const OK: AlterOutcome = { errorCode: ErrorCode.NONE, errorMessage: null };

class Refused extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Per resource, the last change queued (changes of one resource run one at a time). */
const locks = new Map<string, Promise<unknown>>();

function serialized<T>(key: string, job: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  const next = previous.then(job, job);
  const settled = next.catch(() => undefined);
  locks.set(key, settled);
  void settled.then(() => {
    if (locks.get(key) === settled) locks.delete(key);
  });
  return next;
}

/** The list a LIST config holds now: its own value, else its default (as Kafka's APPEND/SUBTRACT start from). */
function currentList(current: Readonly<Record<string, string>>, name: string, dflt: string): string[] {
  const v = Object.hasOwn(current, name) ? current[name]! : dflt;
  return v === '' ? [] : v.split(',').map((s) => s.trim());
}

/**
 * The resource's configs after the changes. `canonical` checks one value; `listDefault` gives a LIST
 * config's default, or undefined when the name is not a list (then APPEND/SUBTRACT are refused).
 */
function applyChanges(
  current: Readonly<Record<string, string>>,
  changes: readonly ConfigChange[],
  replaceAll: boolean,
  canonical: (name: string, value: string) => { value: string } | { problem: string },
  listDefault: (name: string) => string | undefined,
  known: (name: string) => boolean,
): Record<string, string> {
  const seen = new Set<string>();
  for (const c of changes) {
    if (seen.has(c.name)) throw new Refused(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys: ${c.name}`);
    seen.add(c.name);
  }
  const next: Record<string, string> = replaceAll ? {} : { ...current };
  for (const c of changes) {
    if (!known(c.name)) {
      const c2 = canonical(c.name, c.value ?? '');
      throw new Refused(ErrorCode.INVALID_CONFIG, 'problem' in c2 ? c2.problem : `Unknown config name: ${c.name}`);
    }
    switch (c.op) {
      case AlterOp.SET: {
        if (c.value === null) {
          if (replaceAll) continue; // legacy AlterConfigs: null leaves the config at its default
          throw new Refused(ErrorCode.INVALID_REQUEST, `Null value not supported for SET of ${c.name}`);
        }
        const v = canonical(c.name, c.value);
        if ('problem' in v) throw new Refused(ErrorCode.INVALID_CONFIG, v.problem);
        next[c.name] = v.value;
        break;
      }
      case AlterOp.DELETE:
        delete next[c.name];
        break;
      case AlterOp.APPEND:
      case AlterOp.SUBTRACT: {
        const dflt = listDefault(c.name);
        if (dflt === undefined) {
          throw new Refused(ErrorCode.INVALID_CONFIG, `Config value ${c.op === AlterOp.APPEND ? 'append' : 'subtract'} is not allowed for config key ${c.name}: it is not a list`);
        }
        if (c.value === null) throw new Refused(ErrorCode.INVALID_REQUEST, `Null value not supported for ${c.op === AlterOp.APPEND ? 'APPEND' : 'SUBTRACT'} of ${c.name}`);
        const items = c.value === '' ? [] : c.value.split(',').map((s) => s.trim());
        const list = currentList(next, c.name, dflt);
        const result = c.op === AlterOp.APPEND ? [...list, ...items.filter((i) => !list.includes(i))] : list.filter((i) => !items.includes(i));
        const v = canonical(c.name, result.join(','));
        if ('problem' in v) throw new Refused(ErrorCode.INVALID_CONFIG, v.problem);
        next[c.name] = v.value;
        break;
      }
      default:
        throw new Refused(ErrorCode.INVALID_REQUEST, `unknown config operation ${c.op} for ${c.name}; use 0 (SET), 1 (DELETE), 2 (APPEND) or 3 (SUBTRACT)`);
    }
  }
  return next;
}

function topicListDefault(name: string): string | undefined {
  const d = TOPIC_CONFIG_BY_NAME.get(name);
  return d?.type === 'list' ? d.default : undefined;
}

async function alterTopic(ctx: RequestContext, topic: string, changes: readonly ConfigChange[], replaceAll: boolean, validateOnly: boolean): Promise<void> {
  const nameProblem = topicNameProblem(topic);
  if (nameProblem) throw new Refused(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
  await serialized(`topic:${topic}`, async () => {
    const info = ctx.broker.topics.get(topic);
    if (!info) throw new Refused(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic named "${topic}"`);
    const next = applyChanges(info.configs, changes, replaceAll, canonicalTopicConfig, topicListDefault, (n) => TOPIC_CONFIG_BY_NAME.has(n));
    const problem = logConfigProblem(next, ctx.broker.logs.config);
    if (problem) throw new Refused(ErrorCode.INVALID_CONFIG, problem);
    if (validateOnly) return;
    await ctx.broker.logs.setTopicConfigs(topic, next);
    ctx.logger.info({ topic, configs: next }, 'topic configs changed');
  });
}

async function alterBroker(ctx: RequestContext, name: string, changes: readonly ConfigChange[], replaceAll: boolean, validateOnly: boolean): Promise<void> {
  const dynamic = ctx.broker.services.brokerConfigs;
  if (!dynamic) throw new Refused(ErrorCode.INVALID_REQUEST, 'this broker runs without dynamic configs');
  let scope: BrokerScope;
  if (name === '') scope = 'default';
  else if (name === String(ctx.broker.nodeId)) scope = 'broker';
  else throw new Refused(ErrorCode.INVALID_REQUEST, `this is broker ${ctx.broker.nodeId}, not "${name}"; use "${ctx.broker.nodeId}" or "" (cluster default)`);
  await serialized(`broker:${scope}`, async () => {
    const listDefault = (n: string): string | undefined => (n === 'log.cleanup.policy' ? 'delete' : undefined);
    const next = applyChanges(dynamic.get(scope), changes, replaceAll, canonicalBrokerConfig, listDefault, isDynamicBrokerConfig);
    try {
      dynamic.baseFor(scope === 'broker' ? { broker: next, default: dynamic.get('default') } : { broker: dynamic.get('broker'), default: next });
    } catch (e) {
      throw new Refused(ErrorCode.INVALID_CONFIG, (e as Error).message);
    }
    if (validateOnly) return;
    await dynamic.replace(scope, next);
    ctx.logger.info({ scope, configs: next }, 'dynamic broker configs changed');
  });
}

/** Applies (or with validateOnly, checks) the changes to one resource; the outcome carries any error. */
export async function alterResource(
  ctx: RequestContext,
  resourceType: number,
  resourceName: string,
  changes: readonly ConfigChange[],
  options: { replaceAll: boolean; validateOnly: boolean },
): Promise<AlterOutcome> {
  try {
    if (resourceType === RESOURCE_TOPIC) await alterTopic(ctx, resourceName, changes, options.replaceAll, options.validateOnly);
    else if (resourceType === RESOURCE_BROKER) await alterBroker(ctx, resourceName, changes, options.replaceAll, options.validateOnly);
    else return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${resourceType} cannot be altered here; use 2 (topic) or 4 (broker)` };
    return OK;
  } catch (e) {
    if (e instanceof Refused) return { errorCode: e.errorCode, errorMessage: e.message };
    ctx.logger.warn({ err: (e as Error).message, resourceType, resourceName }, 'altering configs failed');
    return { errorCode: errorCodeOf(e, ErrorCode.KAFKA_STORAGE_ERROR), errorMessage: (e as Error).message };
  }
}

/** Resources named twice in one request get INVALID_REQUEST (as Kafka), keyed by type and name. */
export function duplicateResources(resources: ReadonlyArray<{ resourceType: number; resourceName: string }>): Set<string> {
  const count = new Map<string, number>();
  for (const r of resources) count.set(`${r.resourceType}:${r.resourceName}`, (count.get(`${r.resourceType}:${r.resourceName}`) ?? 0) + 1);
  return new Set([...count].filter(([, n]) => n > 1).map(([k]) => k));
}
