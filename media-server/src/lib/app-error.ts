import { type ErrorCode, httpStatusOf } from '@wall/protocol';

/** The one error type of the service: a stable code, its HTTP status, and a cause kept server-side. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.status = httpStatusOf(code);
  }
}
