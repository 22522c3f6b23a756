/**
 * The topics a classic consumer group member subscribes to, read from its JoinGroup protocol metadata (the
 * consumer protocol's Subscription: int16 version, then an int32 count of int16-length topic names; later
 * versions only append fields). OffsetDelete needs it to refuse partitions the group consumes.
 */

/** The subscribed topics, or null when the metadata is not a consumer-protocol subscription. */
export function subscribedTopics(metadata: Buffer): string[] | null {
  try {
    let pos = 2; // version
    const count = metadata.readInt32BE(pos);
    pos += 4;
    if (count < 0 || count > metadata.length) return null;
    const topics: string[] = [];
    for (let i = 0; i < count; i++) {
      const len = metadata.readInt16BE(pos);
      pos += 2;
      if (len < 0 || pos + len > metadata.length) return null;
      topics.push(metadata.toString('utf8', pos, pos + len));
      pos += len;
    }
    return topics;
  } catch {
    return null; // shorter than it claims
  }
}
