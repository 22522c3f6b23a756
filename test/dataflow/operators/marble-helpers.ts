import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import { messages, progress, type Event } from '../../../src/dataflow/index.js';

/** Shared pieces of the per-operator specs: marble scheduler, progress shorthands and a small sample stream. */
export type Ev = Event<number, unknown>;

export const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Progress moving the frontier from `from` to `to`, compacted. */
export const adv = <D = unknown>(from: number, to: number): Event<number, D> => progress([[from, -1], [to, 1]]);
/** Progress releasing `at`: the stream's last event. */
export const end = <D = unknown>(at: number): Event<number, D> => progress([[at, -1]]);

/** Two batches at times 0 and 2, with the progress between and after them. */
export const sample: Event<number, number>[] = [messages(0, [1, 2]), progress([[0, -1], [2, 1]]), messages(2, [3]), progress([[2, -1]])];
