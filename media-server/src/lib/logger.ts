import { pino } from 'pino';

export type Logger = pino.Logger;

/** The one root logger of the process; features take child loggers. */
export function createLogger(level: string, service: string): Logger {
  return pino({ level, base: { service }, redact: { paths: ['token', '*.token'], censor: '[redacted]' } });
}
