/**
 * The topic operations handlers need, on top of the LogManager and its catalog: lookup by name or id,
 * create (concurrent auto-creations of one name share one creation), delete, grow, and partition logs.
 */
import type { TopicRecord } from './catalog.js';
import type { LogManager } from './log/log-manager.js';
import type { PartitionLog } from './log/partition-log.js';

/** A topic as the catalog records it: name, UUID, partition count and topic-level config overrides. */
export type TopicInfo = TopicRecord;

export class Topics {
  private readonly creating = new Map<string, Promise<TopicInfo>>();

  constructor(private readonly logs: LogManager) {}

  list(): TopicInfo[] {
    return this.logs.catalog.list();
  }

  get(name: string): TopicInfo | undefined {
    return this.logs.catalog.get(name);
  }

  byId(id: string): TopicInfo | undefined {
    return this.logs.catalog.byId(id);
  }

  partition(topic: string, index: number): PartitionLog | undefined {
    return this.logs.partition(topic, index);
  }

  create(name: string, partitions: number, configs: Record<string, string>): Promise<TopicInfo> {
    const inFlight = this.creating.get(name);
    if (inFlight) return inFlight;
    const p = this.logs
      .createTopic(name, partitions, configs)
      .then(() => {
        const t = this.get(name);
        if (!t) throw new Error(`topic "${name}" vanished right after creation`);
        return t;
      })
      .finally(() => this.creating.delete(name));
    this.creating.set(name, p);
    return p;
  }

  async delete(name: string): Promise<void> {
    await this.logs.deleteTopic(name);
  }

  async addPartitions(name: string, total: number): Promise<void> {
    await this.logs.addPartitions(name, total);
  }
}
