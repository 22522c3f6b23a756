/**
 * Kafka protocol error codes: name, code, whether a client may retry, and what the error means / what to do.
 *
 * Codes, names and retriable flags follow Apache Kafka's published error table
 * (https://kafka.apache.org/protocol#protocol_error_codes, generated from `Errors.java`). The messages are
 * our own wording, written for users of this broker and library.
 */

/** [code, retriable, message] per error name. */
const DEFINITIONS = {
  UNKNOWN_SERVER_ERROR: [-1, false, 'The server hit an unexpected error; check the broker log for the cause.'],
  NONE: [0, false, 'No error.'],
  OFFSET_OUT_OF_RANGE: [1, false, 'The offset is outside the partition\'s log (before the log start or past the end); reset to the earliest or latest offset.'],
  CORRUPT_MESSAGE: [2, true, 'A record batch failed its CRC, length or format checks; the producer should resend it.'],
  UNKNOWN_TOPIC_OR_PARTITION: [3, true, 'This broker has no such topic or partition; create it or refresh metadata.'],
  INVALID_FETCH_SIZE: [4, false, 'The requested fetch size is not valid; use a positive max bytes.'],
  LEADER_NOT_AVAILABLE: [5, true, 'The partition has no leader at the moment; retry after refreshing metadata.'],
  NOT_LEADER_OR_FOLLOWER: [6, true, 'This broker is not the leader (or a replica) of the partition; refresh metadata and retry.'],
  REQUEST_TIMED_OUT: [7, true, 'The request timed out on the broker; retry, possibly with a longer timeout.'],
  BROKER_NOT_AVAILABLE: [8, false, 'The broker is not available.'],
  REPLICA_NOT_AVAILABLE: [9, true, 'The replica is not available for this partition; retry later.'],
  MESSAGE_TOO_LARGE: [10, false, 'A record batch is larger than the broker accepts (max.message.bytes); send smaller batches or raise the limit.'],
  STALE_CONTROLLER_EPOCH: [11, false, 'The controller moved to another broker.'],
  OFFSET_METADATA_TOO_LARGE: [12, false, 'The metadata string of an offset commit is too large; shorten it.'],
  NETWORK_EXCEPTION: [13, true, 'The connection closed before a response arrived; reconnect and retry.'],
  COORDINATOR_LOAD_IN_PROGRESS: [14, true, 'The coordinator is still loading its state; retry shortly.'],
  COORDINATOR_NOT_AVAILABLE: [15, true, 'The group or transaction coordinator is not available; retry FindCoordinator.'],
  NOT_COORDINATOR: [16, true, 'This broker is not the coordinator for the group; look the coordinator up again.'],
  INVALID_TOPIC_EXCEPTION: [17, false, 'The topic name is invalid (empty, too long, or characters outside [a-zA-Z0-9._-]).'],
  RECORD_LIST_TOO_LARGE: [18, false, 'The record batch is larger than a log segment can hold; send smaller batches.'],
  NOT_ENOUGH_REPLICAS: [19, true, 'Fewer in-sync replicas than min.insync.replicas; the write was rejected, retry later.'],
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: [20, true, 'The write reached fewer in-sync replicas than required after it was appended.'],
  INVALID_REQUIRED_ACKS: [21, false, 'Produce acks must be -1, 0 or 1.'],
  ILLEGAL_GENERATION: [22, false, 'The group generation is stale; rejoin the group.'],
  INCONSISTENT_GROUP_PROTOCOL: [23, false, 'The member\'s protocol type or protocols do not match the group\'s (or are empty).'],
  INVALID_GROUP_ID: [24, false, 'The group id is invalid (e.g. empty).'],
  UNKNOWN_MEMBER_ID: [25, false, 'The coordinator does not know this member id; rejoin with an empty member id.'],
  INVALID_SESSION_TIMEOUT: [26, false, 'The session timeout is outside group.min/max.session.timeout.ms.'],
  REBALANCE_IN_PROGRESS: [27, false, 'The group is rebalancing; rejoin it.'],
  INVALID_COMMIT_OFFSET_SIZE: [28, false, 'The offset commit data is not valid.'],
  TOPIC_AUTHORIZATION_FAILED: [29, false, 'Not authorized to access the topic.'],
  GROUP_AUTHORIZATION_FAILED: [30, false, 'Not authorized to access the group.'],
  CLUSTER_AUTHORIZATION_FAILED: [31, false, 'Not authorized for this cluster operation.'],
  INVALID_TIMESTAMP: [32, false, 'A record timestamp is outside the accepted range (message.timestamp.*.max.ms).'],
  UNSUPPORTED_SASL_MECHANISM: [33, false, 'The broker does not support this SASL mechanism.'],
  ILLEGAL_SASL_STATE: [34, false, 'The request is not valid in the current SASL state.'],
  UNSUPPORTED_VERSION: [35, false, 'The broker does not support this API version; use ApiVersions to pick one it supports.'],
  TOPIC_ALREADY_EXISTS: [36, false, 'A topic with this name already exists.'],
  INVALID_PARTITIONS: [37, false, 'The partition count is invalid (must be at least 1, and may only grow).'],
  INVALID_REPLICATION_FACTOR: [38, false, 'The replication factor is invalid (this broker has one node: use 1 or -1).'],
  INVALID_REPLICA_ASSIGNMENT: [39, false, 'The replica assignment is invalid.'],
  INVALID_CONFIG: [40, false, 'A configuration name or value is invalid.'],
  NOT_CONTROLLER: [41, true, 'This broker is not the controller; refresh metadata and retry.'],
  INVALID_REQUEST: [42, false, 'The request is malformed or not valid for this broker; see the broker log.'],
  UNSUPPORTED_FOR_MESSAGE_FORMAT: [43, false, 'The request needs a newer message format (magic 2 record batches).'],
  POLICY_VIOLATION: [44, false, 'The request parameters violate the configured policy.'],
  OUT_OF_ORDER_SEQUENCE_NUMBER: [45, false, 'The idempotent producer sent a sequence number out of order.'],
  DUPLICATE_SEQUENCE_NUMBER: [46, false, 'The idempotent producer sent a duplicate sequence number.'],
  INVALID_PRODUCER_EPOCH: [47, false, 'The producer epoch is older than the current one; this producer has been fenced.'],
  INVALID_TXN_STATE: [48, false, 'The transactional operation is not valid in the transaction\'s current state.'],
  INVALID_PRODUCER_ID_MAPPING: [49, false, 'The producer id is not assigned to this transactional id.'],
  INVALID_TRANSACTION_TIMEOUT: [50, false, 'The transaction timeout exceeds the broker maximum.'],
  CONCURRENT_TRANSACTIONS: [51, true, 'Another operation on the same transaction is in progress; retry.'],
  TRANSACTION_COORDINATOR_FENCED: [52, false, 'The transaction coordinator is no longer current for this producer.'],
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: [53, false, 'Not authorized for this transactional id.'],
  SECURITY_DISABLED: [54, false, 'Security features are disabled on this broker.'],
  OPERATION_NOT_ATTEMPTED: [55, false, 'The broker did not attempt this operation because another one in the batch failed.'],
  KAFKA_STORAGE_ERROR: [56, true, 'A disk error occurred while accessing the log; check the data directory, then retry.'],
  LOG_DIR_NOT_FOUND: [57, false, 'The log directory is not configured on this broker.'],
  SASL_AUTHENTICATION_FAILED: [58, false, 'SASL authentication failed.'],
  UNKNOWN_PRODUCER_ID: [59, false, 'The broker has no state for this producer id (e.g. its records expired); reset the producer.'],
  REASSIGNMENT_IN_PROGRESS: [60, false, 'A partition reassignment is in progress.'],
  DELEGATION_TOKEN_AUTH_DISABLED: [61, false, 'Delegation tokens are not enabled.'],
  DELEGATION_TOKEN_NOT_FOUND: [62, false, 'The delegation token was not found.'],
  DELEGATION_TOKEN_OWNER_MISMATCH: [63, false, 'The principal is not the owner or renewer of the delegation token.'],
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: [64, false, 'Delegation token requests are not allowed on this channel.'],
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: [65, false, 'Delegation token authorization failed.'],
  DELEGATION_TOKEN_EXPIRED: [66, false, 'The delegation token has expired.'],
  INVALID_PRINCIPAL_TYPE: [67, false, 'The principal type is not supported.'],
  NON_EMPTY_GROUP: [68, false, 'The group still has members; stop them before deleting the group.'],
  GROUP_ID_NOT_FOUND: [69, false, 'No group with this id exists.'],
  FETCH_SESSION_ID_NOT_FOUND: [70, true, 'The fetch session no longer exists; start a new session.'],
  INVALID_FETCH_SESSION_EPOCH: [71, true, 'The fetch session epoch is invalid; start a new session.'],
  LISTENER_NOT_FOUND: [72, true, 'The leader has no listener matching the one this request arrived on.'],
  TOPIC_DELETION_DISABLED: [73, false, 'Topic deletion is disabled on this broker (delete.topic.enable=false).'],
  FENCED_LEADER_EPOCH: [74, true, 'The leader epoch in the request is older than the broker\'s; refresh metadata.'],
  UNKNOWN_LEADER_EPOCH: [75, true, 'The leader epoch in the request is newer than the broker\'s; retry.'],
  UNSUPPORTED_COMPRESSION_TYPE: [76, false, 'The compression codec is not supported for this request.'],
  STALE_BROKER_EPOCH: [77, false, 'The broker epoch has changed.'],
  OFFSET_NOT_AVAILABLE: [78, true, 'The offset is not available yet (high watermark catching up); retry.'],
  MEMBER_ID_REQUIRED: [79, false, 'Rejoin the group with the member id returned in this response.'],
  PREFERRED_LEADER_NOT_AVAILABLE: [80, true, 'The preferred leader is not available.'],
  GROUP_MAX_SIZE_REACHED: [81, false, 'The group has reached group.max.size members.'],
  FENCED_INSTANCE_ID: [82, false, 'Another member registered with the same group.instance.id; this one is fenced.'],
  ELIGIBLE_LEADERS_NOT_AVAILABLE: [83, true, 'No eligible leader is available for the partition.'],
  ELECTION_NOT_NEEDED: [84, true, 'A leader election is not needed for the partition.'],
  NO_REASSIGNMENT_IN_PROGRESS: [85, false, 'No partition reassignment is in progress.'],
  GROUP_SUBSCRIBED_TO_TOPIC: [86, false, 'Cannot delete offsets of a topic the group is actively subscribed to.'],
  INVALID_RECORD: [87, false, 'A record failed the broker\'s validation and the batch was rejected.'],
  UNSTABLE_OFFSET_COMMIT: [88, true, 'There are pending transactional offsets for the partition; retry.'],
  THROTTLING_QUOTA_EXCEEDED: [89, true, 'The throttling quota was exceeded; retry after the throttle time.'],
  PRODUCER_FENCED: [90, false, 'A newer producer with the same transactional id fenced this one.'],
  RESOURCE_NOT_FOUND: [91, false, 'The request refers to a resource that does not exist.'],
  DUPLICATE_RESOURCE: [92, false, 'The request refers to the same resource twice.'],
  UNACCEPTABLE_CREDENTIAL: [93, false, 'The credential does not meet the acceptability criteria.'],
  INCONSISTENT_VOTER_SET: [94, false, 'The sender or recipient is not one of the expected voters.'],
  INVALID_UPDATE_VERSION: [95, false, 'The update version is invalid.'],
  FEATURE_UPDATE_FAILED: [96, false, 'Finalized features could not be updated.'],
  PRINCIPAL_DESERIALIZATION_FAILURE: [97, false, 'The request principal could not be deserialized.'],
  SNAPSHOT_NOT_FOUND: [98, false, 'The requested snapshot was not found.'],
  POSITION_OUT_OF_RANGE: [99, false, 'The requested snapshot position is out of range.'],
  UNKNOWN_TOPIC_ID: [100, true, 'This broker has no topic with this id; refresh metadata.'],
  DUPLICATE_BROKER_REGISTRATION: [101, false, 'This broker id is already registered.'],
  BROKER_ID_NOT_REGISTERED: [102, false, 'This broker id is not registered.'],
  INCONSISTENT_TOPIC_ID: [103, true, 'The topic id does not match the topic name\'s current id (it was recreated); refresh metadata.'],
  INCONSISTENT_CLUSTER_ID: [104, false, 'The cluster id does not match.'],
  TRANSACTIONAL_ID_NOT_FOUND: [105, false, 'The transactional id was not found.'],
  FETCH_SESSION_TOPIC_ID_ERROR: [106, true, 'The fetch session saw a topic id error; start a new session.'],
  INELIGIBLE_REPLICA: [107, false, 'The replica is not eligible for the leader ISR.'],
  NEW_LEADER_ELECTED: [108, false, 'A new leader was elected.'],
  OFFSET_MOVED_TO_TIERED_STORAGE: [109, false, 'The offset has moved to tiered storage.'],
  FENCED_MEMBER_EPOCH: [110, false, 'The member epoch is fenced; rejoin the group.'],
  UNRELEASED_INSTANCE_ID: [111, false, 'The instance id is still used by another member.'],
  UNSUPPORTED_ASSIGNOR: [112, false, 'The assignor is not supported by the group.'],
  STALE_MEMBER_EPOCH: [113, false, 'The member epoch is stale.'],
} as const satisfies Record<string, readonly [code: number, retriable: boolean, message: string]>;

export type KafkaErrorName = keyof typeof DEFINITIONS;

export interface KafkaErrorInfo {
  name: string;
  code: number;
  retriable: boolean;
  message: string;
}

/** `ErrorCode.UNKNOWN_TOPIC_OR_PARTITION === 3`, each typed as its literal code. */
export const ErrorCode = Object.freeze(
  Object.fromEntries(Object.entries(DEFINITIONS).map(([name, [code]]) => [name, code])),
) as { readonly [K in KafkaErrorName]: (typeof DEFINITIONS)[K][0] };

/** Every known error, keyed by code. */
export const kafkaErrors: Readonly<Record<number, KafkaErrorInfo>> = Object.freeze(
  Object.fromEntries(
    Object.entries(DEFINITIONS).map(([name, [code, retriable, message]]) => [
      code,
      Object.freeze({ name, code, retriable, message }),
    ]),
  ),
);

/** The error for `code`; an unknown code gets a non-retriable placeholder that names the number. */
export function errorInfo(code: number): KafkaErrorInfo {
  return (
    kafkaErrors[code] ?? {
      name: `UNKNOWN_ERROR_CODE_${code}`,
      code,
      retriable: false,
      message: `Error code ${code} is not one this library knows.`,
    }
  );
}

export function errorName(code: number): string {
  return errorInfo(code).name;
}

export function isRetriable(code: number): boolean {
  return errorInfo(code).retriable;
}

/** An error that carries a Kafka error code, so a broker handler can put it straight into a response. */
export class KafkaError extends Error {
  readonly code: number;
  readonly retriable: boolean;
  readonly errorName: string;

  /** `detail` says what happened in this case; the generic meaning of the code is appended. */
  constructor(code: number, detail?: string, options?: { cause?: unknown }) {
    const info = errorInfo(code);
    super(detail ? `${info.name}: ${detail} (${info.message})` : `${info.name}: ${info.message}`, options);
    this.name = 'KafkaError';
    this.code = code;
    this.retriable = info.retriable;
    this.errorName = info.name;
  }
}

export function isKafkaError(e: unknown): e is KafkaError {
  return e instanceof KafkaError;
}

/**
 * The Kafka error code that `err` carries (a `KafkaError`, or any error with a numeric `code`), else
 * `fallback`. Node's string codes (`'ENOENT'`) are not Kafka codes, so they get the fallback too.
 */
export function errorCodeOf<F = number>(err: unknown, fallback: F): number | F {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'number' ? code : fallback;
}
