import { describe, expect, it } from 'vitest';
import { ErrorCode, KafkaError, errorCodeOf, errorInfo, isRetriable, kafkaErrors } from '../../src/protocol/errors.js';

describe('Kafka error codes', () => {
  it('has the codes of Kafka\'s published table', () => {
    // Spot checks against https://kafka.apache.org/protocol#protocol_error_codes
    const expected: Record<string, number> = {
      UNKNOWN_SERVER_ERROR: -1, NONE: 0, OFFSET_OUT_OF_RANGE: 1, CORRUPT_MESSAGE: 2, UNKNOWN_TOPIC_OR_PARTITION: 3,
      INVALID_FETCH_SIZE: 4, LEADER_NOT_AVAILABLE: 5, NOT_LEADER_OR_FOLLOWER: 6, REQUEST_TIMED_OUT: 7,
      MESSAGE_TOO_LARGE: 10, COORDINATOR_LOAD_IN_PROGRESS: 14, COORDINATOR_NOT_AVAILABLE: 15, NOT_COORDINATOR: 16,
      INVALID_TOPIC_EXCEPTION: 17, RECORD_LIST_TOO_LARGE: 18, ILLEGAL_GENERATION: 22, INCONSISTENT_GROUP_PROTOCOL: 23,
      INVALID_GROUP_ID: 24, UNKNOWN_MEMBER_ID: 25, INVALID_SESSION_TIMEOUT: 26, REBALANCE_IN_PROGRESS: 27,
      INVALID_COMMIT_OFFSET_SIZE: 28, INVALID_TIMESTAMP: 32, UNSUPPORTED_VERSION: 35, TOPIC_ALREADY_EXISTS: 36,
      INVALID_PARTITIONS: 37, INVALID_REPLICATION_FACTOR: 38, INVALID_REPLICA_ASSIGNMENT: 39, INVALID_CONFIG: 40,
      NOT_CONTROLLER: 41, INVALID_REQUEST: 42, UNSUPPORTED_FOR_MESSAGE_FORMAT: 43, POLICY_VIOLATION: 44,
      OUT_OF_ORDER_SEQUENCE_NUMBER: 45, DUPLICATE_SEQUENCE_NUMBER: 46, INVALID_PRODUCER_EPOCH: 47,
      KAFKA_STORAGE_ERROR: 56, UNKNOWN_PRODUCER_ID: 59, NON_EMPTY_GROUP: 68, GROUP_ID_NOT_FOUND: 69,
      TOPIC_DELETION_DISABLED: 73, MEMBER_ID_REQUIRED: 79, FENCED_INSTANCE_ID: 82, GROUP_SUBSCRIBED_TO_TOPIC: 86,
      INVALID_RECORD: 87, UNKNOWN_TOPIC_ID: 100, INCONSISTENT_TOPIC_ID: 103,
    };
    for (const [name, code] of Object.entries(expected)) {
      expect((ErrorCode as Record<string, number>)[name], name).toBe(code);
      expect(kafkaErrors[code]?.name).toBe(name);
    }
  });

  it('codes are unique and the lookup is consistent', () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, code] of Object.entries(ErrorCode)) expect(errorInfo(code).name).toBe(name);
  });

  it('retriable flags follow Kafka', () => {
    expect(isRetriable(ErrorCode.NOT_COORDINATOR)).toBe(true);
    expect(isRetriable(ErrorCode.CORRUPT_MESSAGE)).toBe(true);
    expect(isRetriable(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)).toBe(true);
    expect(isRetriable(ErrorCode.REBALANCE_IN_PROGRESS)).toBe(false);
    expect(isRetriable(ErrorCode.OFFSET_OUT_OF_RANGE)).toBe(false);
    expect(isRetriable(ErrorCode.UNKNOWN_SERVER_ERROR)).toBe(false);
  });

  it('KafkaError carries code, retriable flag and a readable message', () => {
    const e = new KafkaError(ErrorCode.NOT_COORDINATOR, 'group g lives elsewhere');
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe(16);
    expect(e.retriable).toBe(true);
    expect(e.errorName).toBe('NOT_COORDINATOR');
    expect(e.message).toContain('NOT_COORDINATOR: group g lives elsewhere');
    const unknown = new KafkaError(9999);
    expect(unknown.code).toBe(9999);
    expect(unknown.retriable).toBe(false);
    expect(unknown.message).toContain('9999');
  });
});

describe('errorCodeOf', () => {
  it('takes the Kafka code an error carries', () => {
    expect(errorCodeOf(new KafkaError(ErrorCode.NOT_COORDINATOR), ErrorCode.UNKNOWN_SERVER_ERROR)).toBe(ErrorCode.NOT_COORDINATOR);
    expect(errorCodeOf(Object.assign(new Error('x'), { code: ErrorCode.NONE }), -1)).toBe(0);
    expect(errorCodeOf({ code: 87 }, -1)).toBe(87);
  });

  it('falls back for errors without a numeric code, Node string codes included, and for non-errors', () => {
    const enoent = Object.assign(new Error('missing'), { code: 'ENOENT' });
    expect(errorCodeOf(enoent, ErrorCode.KAFKA_STORAGE_ERROR)).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(errorCodeOf(new Error('plain'), ErrorCode.UNKNOWN_SERVER_ERROR)).toBe(-1);
    for (const thrown of [null, undefined, 'a string', 42, { code: '3' }]) expect(errorCodeOf(thrown, 7)).toBe(7);
    expect(errorCodeOf(enoent, undefined)).toBeUndefined();
  });
});
