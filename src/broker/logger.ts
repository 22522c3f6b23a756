/**
 * The broker's one pino logger, writing JSON lines to stderr (stdout carries only the CLI's "listening"
 * line). Tests pass `logLevel: 'silent'`.
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { name: 'kafkaesque' } }, pino.destination({ fd: 2, sync: true }));
}
