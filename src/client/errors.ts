/** Errors of the wire client. Broker error codes use the protocol's KafkaError. */

/** The connection to a broker failed or closed while requests were outstanding. Retriable by reconnecting. */
export class BrokerConnectionError extends Error {
  override readonly name = 'BrokerConnectionError';
  constructor(readonly broker: string, reason: string, options?: { cause?: unknown }) {
    super(`connection to broker ${broker} failed: ${reason}; check that the broker is running and reachable`, options);
  }
}

/** A request got no response in time. */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
  constructor(readonly broker: string, readonly api: string, readonly timeoutMs: number) {
    super(`broker ${broker} did not answer ${api} within ${timeoutMs} ms; the connection was closed`);
  }
}

/** The broker supports no version of an API in the range this client speaks. */
export class UnsupportedApiError extends Error {
  override readonly name = 'UnsupportedApiError';
  constructor(readonly broker: string, readonly api: string, ours: string, theirs: string) {
    super(`broker ${broker} supports ${api} versions ${theirs}, this client speaks ${ours}; upgrade the broker or the client`);
  }
}

/**
 * A response's size prefix is below 4 (no room for a correlation id) or above the connection's
 * `receiveMessageMaxBytes`: the broker is not
 * speaking Kafka, or answers larger than this client accepts. Not retriable: the same request would get the
 * same answer. The connection is closed before any memory is set aside for the response.
 */
export class ResponseTooLargeError extends Error {
  override readonly name = 'ResponseTooLargeError';
  constructor(readonly broker: string, readonly size: number, readonly limit: number) {
    super(
      size < 4
        ? `broker ${broker} sent a response of ${size} bytes, too short for a correlation id; is it a Kafka broker? The connection was closed`
        : `broker ${broker} sent a response of ${size} bytes, above receiveMessageMaxBytes (${limit}); the connection was closed. ` +
            `Raise receiveMessageMaxBytes if responses that large are expected (it must exceed the fetch size), or check that the broker speaks Kafka`,
    );
  }
}
