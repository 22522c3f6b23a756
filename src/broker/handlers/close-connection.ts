/**
 * A handler's answer that means "send no response and close this connection once the responses before it
 * are written". Kafka answers a refused Produce with acks=0 this way: the producer gets no response by
 * design, so a closed connection is the only signal it can notice (it then refreshes metadata and retries).
 */
export class CloseConnection {
  constructor(readonly reason: string) {}
}
