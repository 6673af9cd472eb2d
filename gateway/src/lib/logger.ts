import { pino } from 'pino';

export type Logger = pino.Logger;

/** The one root logger of the process; features take child loggers. Secrets are redacted. */
export function createLogger(level: string, service: string): Logger {
  return pino({
    level,
    base: { service },
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'req.headers.cookie',
        'req.headers.authorization',
      ],
      censor: '[redacted]',
    },
  });
}

/** Replaces user:password@ in URLs so connection strings can be logged. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^/@\s]*)@/, '//[redacted]@');
}
