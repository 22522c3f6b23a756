/**
 * The request-path hooks of the metrics (broker-metrics.ts, request-counters.ts): what a request counts, and
 * that observing a handler's promise neither replaces it nor changes how it settles for the connection.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiName } from '../../src/protocol/api-keys.js';
import { ErrorCode, KafkaError } from '../../src/protocol/errors.js';
import type { BrokerContext } from '../../src/broker/context.js';
import { BrokerMetrics } from '../../src/broker/metrics/broker-metrics.js';
import { RequestCounters } from '../../src/broker/metrics/request-counters.js';

const PRODUCE = 0;

function produceResponse(errorCode: number): object {
  return { throttleTimeMs: 0, responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode, baseOffset: 0n, recordErrors: [], errorMessage: null }] }] };
}

function latencyCount(counters: RequestCounters, apiKey: number): number {
  return counters.latencySamples('d').find((s) => s.metricName === 'd_count' && s.labels.api === apiName(apiKey))?.value ?? 0;
}

function errorCount(counters: RequestCounters, apiKey: number, code: number): number {
  return counters.errorSamples().find((s) => s.labels.api === apiName(apiKey) && s.labels.code === code)?.value ?? 0;
}

describe('RequestCounters.requestSamples', () => {
  it('has one sample per (api, version) counted, with its count, in key and version order; nothing for the rest', () => {
    const request = fc.tuple(fc.integer({ min: -2, max: 130 }), fc.integer({ min: -1, max: 33 }));
    fc.assert(
      fc.property(fc.array(request, { maxLength: 60 }), (requests) => {
        const counters = new RequestCounters();
        const expected = new Map<number, number>();
        for (const [key, version] of requests) {
          counters.started(key, version);
          if (key >= 0 && key < 128 && version >= 0 && version < 32) expected.set(key * 32 + version, (expected.get(key * 32 + version) ?? 0) + 1);
        }
        const want = [...expected].sort(([a], [b]) => a - b).map(([i, value]) => ({ labels: { api: apiName(Math.floor(i / 32)), version: i % 32 }, value }));
        expect(counters.requestSamples()).toEqual(want);
      }),
    );
  });
});

describe('BrokerMetrics.observeRequest', () => {
  // The hooks read nothing of the broker but its series limits.
  const broker = { config: { metricsMaxTopicSeries: 10, metricsMaxGroupSeries: 10 } } as unknown as BrokerContext;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => void process.off('unhandledRejection', onUnhandled));

  it("hands the connection the handler's own promise and times it once it resolves, with the response's error codes", async () => {
    const metrics = new BrokerMetrics(broker, { logOpenSeconds: 0, recovered: false });
    let resolve!: (res: object) => void;
    const result = new Promise<object>((r) => (resolve = r));
    expect(metrics.observeRequest(PRODUCE, 9, result)).toBe(result);
    await Promise.resolve();
    expect(latencyCount(metrics.requests, PRODUCE)).toBe(0);
    resolve(produceResponse(ErrorCode.NOT_LEADER_OR_FOLLOWER));
    await result;
    expect(latencyCount(metrics.requests, PRODUCE)).toBe(1);
    expect(errorCount(metrics.requests, PRODUCE, ErrorCode.NOT_LEADER_OR_FOLLOWER)).toBe(1);
  });

  it("leaves a rejection to the connection: its promise rejects with the handler's error, counted by code, and nothing goes unhandled", async () => {
    const metrics = new BrokerMetrics(broker, { logOpenSeconds: 0, recovered: false });
    const err = new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'disk gone');
    const result = Promise.reject(err);
    const seen = metrics.observeRequest(PRODUCE, 9, result) as Promise<unknown>;
    await expect(seen).rejects.toBe(err);
    // Let any unhandled rejection surface (node reports them after the microtask queue drains).
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(unhandled).toEqual([]);
    expect(latencyCount(metrics.requests, PRODUCE)).toBe(1);
    expect(errorCount(metrics.requests, PRODUCE, ErrorCode.KAFKA_STORAGE_ERROR)).toBe(1);
  });

  it('never turns a response it cannot read into an unhandled rejection (the broker would exit)', async () => {
    const metrics = new BrokerMetrics(broker, { logOpenSeconds: 0, recovered: false });
    const unreadable = {
      get errorCode(): number {
        throw new Error('unreadable');
      },
    };
    const result = Promise.resolve(unreadable);
    await expect(metrics.observeRequest(PRODUCE, 9, result)).resolves.toBe(unreadable);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(unhandled).toEqual([]);
  });

  it('counts and times a value returned at once', () => {
    const metrics = new BrokerMetrics(broker, { logOpenSeconds: 0, recovered: false });
    const res = produceResponse(ErrorCode.NONE);
    expect(metrics.observeRequest(PRODUCE, 3, res)).toBe(res);
    expect(latencyCount(metrics.requests, PRODUCE)).toBe(1);
    expect(metrics.requests.requestSamples()).toEqual([{ labels: { api: 'Produce', version: 3 }, value: 1 }]);
  });
});
