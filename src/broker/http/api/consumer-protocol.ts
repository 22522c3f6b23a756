/**
 * The bytes a classic consumer group's members exchange through the broker, which the broker otherwise
 * treats as opaque: ConsumerProtocolSubscription (the member's topics) and ConsumerProtocolAssignment (its
 * partitions), versions 0-3, all non-flexible (Kafka's clients/src/main/resources/common/message/
 * ConsumerProtocol*.json). Read only for display; anything that does not parse gives undefined.
 */

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new RangeError('short');
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  string(): string {
    const n = this.int16();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  count(): number {
    const n = this.int32();
    // Each element takes at least 2 bytes: a count beyond what is left is corrupt, not a reason to loop.
    if (n < 0 || n > (this.buf.length - this.pos) / 2) throw new RangeError('bad count');
    return n;
  }
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** The partitions assigned to a member, by topic; undefined when the bytes are not a consumer assignment. */
export function decodeAssignment(bytes: Buffer): TopicPartitions[] | undefined {
  if (bytes.length === 0) return [];
  try {
    const r = new Reader(bytes);
    const version = r.int16();
    if (version < 0 || version > 3) return undefined;
    const out: TopicPartitions[] = [];
    for (let t = r.count(); t > 0; t--) {
      const topic = r.string();
      const partitions: number[] = [];
      for (let p = r.count(); p > 0; p--) partitions.push(r.int32());
      out.push({ topic, partitions });
    }
    return out;
  } catch {
    return undefined;
  }
}

/** The topics a member subscribed to; undefined when the bytes are not a consumer subscription. */
export function decodeSubscription(bytes: Buffer): string[] | undefined {
  if (bytes.length === 0) return [];
  try {
    const r = new Reader(bytes);
    const version = r.int16();
    if (version < 0 || version > 3) return undefined;
    const topics: string[] = [];
    for (let t = r.count(); t > 0; t--) topics.push(r.string());
    return topics;
  } catch {
    return undefined;
  }
}
