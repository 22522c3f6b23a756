/**
 * Typed errors of the wire-protocol layer.
 *
 * A decode error means the peer sent bytes that do not form a valid message of the stated API and version;
 * the broker answers it by closing the connection (there is no way to resynchronise a corrupt stream).
 */

export class ProtocolDecodeError extends Error {
  override readonly name = 'ProtocolDecodeError';
  /** e.g. 'ProduceRequest' or 'RequestHeader'; '' when the bytes were read outside a message. */
  readonly api: string;
  /** The API version being decoded, or -1 when not known. */
  readonly version: number;
  /** Dotted path of the field being read, e.g. 'topicData.partitionData.records'. */
  readonly field: string;

  constructor(api: string, version: number, field: string, problem: string) {
    const where = api === '' ? field : `${api} v${version} field '${field}'`;
    super(`Malformed Kafka message: ${where}: ${problem}. The peer sent bytes that do not match the protocol.`);
    this.api = api;
    this.version = version;
    this.field = field;
  }
}

/** Thrown when a value cannot be encoded in the requested version (a bug in the caller, not the peer). */
export class ProtocolEncodeError extends Error {
  override readonly name = 'ProtocolEncodeError';
  constructor(message: string) {
    super(message);
  }
}

/** Throws for a field that is null but not nullable in the version being encoded. */
export function throwNullField(api: string, version: number, field: string): never {
  throw new ProtocolEncodeError(`Cannot encode ${api} v${version}: field '${field}' is null but not nullable in this version`);
}
