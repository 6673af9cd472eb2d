import { type ErrorCode, errorBodySchema, type WallState, wallStateSchema } from '@wall/protocol';
import { z } from 'zod';

/** Codes the browser side raises itself (never sent by the gateway). */
export type GatewayClientCode = 'client:network' | 'client:protocol' | 'client:timeout';

/** A gateway code from `@wall/protocol`, a client code, or a code of a newer gateway. */
export type GatewayErrorCode = ErrorCode | GatewayClientCode | (string & {});

/** A refused or failed gateway call: the gateway's `{ code, message }` (and `current` on a version conflict). */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly code: GatewayErrorCode;
  /** HTTP status (0 when the request never got an answer). */
  readonly status: number;
  /** The wall as it is now, with `conflict:version`. */
  readonly current: WallState | undefined;

  constructor(
    code: GatewayErrorCode,
    message: string,
    options: { status?: number; current?: WallState; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = options.status ?? 0;
    this.current = options.current;
  }
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}

/** Any thrown value as `{ code, message }` for display. */
export function errorBodyOfUnknown(err: unknown): { code: string; message: string } {
  if (err instanceof GatewayError) return { code: err.code, message: err.message };
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') {
    const message = 'message' in err && typeof err.message === 'string' ? err.message : err.code;
    return { code: err.code, message };
  }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

// A body of a newer gateway may carry a code this build does not know: keep it as a string.
const looseErrorBodySchema = z.object({ code: z.string().min(1), message: z.string() });
const conflictBodySchema = z.object({ current: wallStateSchema });

/** The error a non-2xx answer stands for. */
export function errorFromBody(status: number, body: unknown): GatewayError {
  const known = errorBodySchema.safeParse(body);
  const parsed = known.success ? known.data : looseErrorBodySchema.safeParse(body).data;
  if (!parsed) return new GatewayError('client:protocol', `HTTP ${status}`, { status });
  const conflict = parsed.code === 'conflict:version' ? conflictBodySchema.safeParse(body) : undefined;
  return new GatewayError(parsed.code, parsed.message, {
    status,
    ...(conflict?.success ? { current: conflict.data.current } : {}),
  });
}
