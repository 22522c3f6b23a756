/**
 * Moves a Fetch response's records to an 8-aligned position inside their own response frame, so that replay
 * can decode capture's aligned typed arrays as views of the frame instead of copying each one (and a
 * borrowing consumer can then hand the frame back for the next response).
 *
 * Where the records land in a frame depends on the response's layout (the topic name's length, the size of
 * the records' length varint, aborted transactions), so on the wire they are misaligned most of the time.
 * The up to 7 bytes before them are always this partition's own header fields (the preferred read replica,
 * 4 bytes, and the records' length varint since Fetch v11; the 8-byte log start offset before that), which
 * the response decoder has already turned into numbers: moving the records down over them costs one memmove
 * of the records and breaks nothing. Records that start within the first 7 bytes of their buffer are left
 * where they are.
 */
export function alignRecords(records: Buffer): Buffer {
  const shift = records.byteOffset % 8;
  if (shift === 0 || records.byteOffset < shift) return records;
  const target = records.byteOffset - shift;
  const frame = new Uint8Array(records.buffer, 0, records.byteOffset + records.length);
  frame.copyWithin(target, records.byteOffset, records.byteOffset + records.length);
  return Buffer.from(records.buffer, target, records.length);
}
