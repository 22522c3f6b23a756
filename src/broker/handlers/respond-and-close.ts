/**
 * A handler result meaning "send this response, then close the connection" (Kafka does this after a failed
 * SASL authentication). Compare CloseConnection, which sends nothing.
 */
export class RespondAndClose<Res = unknown> {
  constructor(
    readonly response: Res,
    readonly reason: string,
  ) {}
}
