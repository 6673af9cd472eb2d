import type { z } from 'zod';
import { AppError, type ErrorBody } from './errors.ts';

/**
 * Socket requests as request/response: an acked event's payload is checked against its schema,
 * handed to its handler, and the handler's answer (or its error) goes back through the ack. Shared
 * by every socket server (the gateway's `/realtime`, the media node's `/viewer`); pure — no Node
 * or socket.io APIs, a socket is anything with `on(event, listener)`.
 */

/** A failed acknowledgement (the `ok: false` side of {@link Ack}). */
export interface AckFailure {
  ok: false;
  error: ErrorBody;
}

/** The answer to a payload that does not match the event's schema. */
export const INVALID_REQUEST: ErrorBody = Object.freeze({
  code: 'invalid:request',
  message: 'the request does not match its schema',
});

/** What a client is told of an error that is not an {@link AppError}: nothing more. */
export const INTERNAL_ERROR: ErrorBody = Object.freeze({ code: 'internal', message: 'internal error' });

/** The error body a client gets for an error: an AppError's code and message, else `internal`. */
export function errorBodyFor(err: unknown): ErrorBody {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  return { ...INTERNAL_ERROR };
}

/** The failed ack for an error (see {@link errorBodyFor}). */
export function errorAck(err: unknown): AckFailure {
  return { ok: false, error: errorBodyFor(err) };
}

/** The failed ack for a payload its schema refused. */
export function invalidRequestAck(): AckFailure {
  return { ok: false, error: { ...INVALID_REQUEST } };
}

/** What {@link bindRequests} needs of a socket (socket.io's `Socket` has it). */
export interface RequestSocket {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** The last parameter of an event's listener: its ack. */
type AckCallbackOf<F> = F extends (...args: infer A) => void
  ? A extends [...unknown[], infer L]
    ? L
    : never
  : never;

/** What the ack of an event carries when it succeeds. */
export type AckDataOf<F> =
  AckCallbackOf<F> extends (res: infer R) => void
    ? R extends { ok: true; data: infer D }
      ? D
      : never
    : never;

/** The acked events of an event map: those whose listener ends with an ack callback. */
export type AckedEvents<Events> = {
  [E in keyof Events]: AckCallbackOf<Events[E]> extends (res: never) => void ? E : never;
}[keyof Events] &
  string;

/** The handler's argument: the schema's output, or nothing for an event without a payload. */
export type RequestOf<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface BindRequestsOptions {
  /** Called with every error that is not an AppError (the client only gets `internal`): log it. */
  onInternalError?: (err: unknown, event: string) => void;
  /** Extra fields on the failed ack of a handler's error (e.g. a conflict's current state). */
  failureFields?: (err: unknown) => Record<string, unknown> | undefined;
}

/**
 * Binds acked events of `socket`: `bind(event, schema, handler)`. For each event received:
 *
 * - no ack function (the last argument) → ignored: the handler is not called;
 * - `schema` given and the payload (the first argument) does not match → `invalid:request`, the
 *   handler is not called; `schema` undefined → the event has no payload, the handler gets `undefined`;
 * - the handler resolves → `{ ok: true, data }`; it throws or rejects → {@link errorAck} (plus
 *   `failureFields`), an error other than an AppError also goes to `onInternalError`.
 */
export function bindRequests<Events extends object>(
  socket: RequestSocket,
  options: BindRequestsOptions = {},
) {
  return function bind<E extends AckedEvents<Events>, S extends z.ZodType | undefined>(
    event: E,
    schema: S,
    handler: (req: RequestOf<S>) => Promise<AckDataOf<Events[E]>>,
  ): void {
    socket.on(event, (...args: unknown[]) => {
      const ack = args.at(-1);
      if (typeof ack !== 'function') return;
      const reply = ack as (res: unknown) => void;
      let req: RequestOf<S>;
      if (schema) {
        const parsed = schema.safeParse(args.length > 1 ? args[0] : undefined);
        if (!parsed.success) return reply(invalidRequestAck());
        req = parsed.data as RequestOf<S>;
      } else {
        req = undefined as RequestOf<S>;
      }
      const fail = (err: unknown) => {
        if (!(err instanceof AppError)) options.onInternalError?.(err, event);
        reply({ ...errorAck(err), ...options.failureFields?.(err) });
      };
      let answer: Promise<AckDataOf<Events[E]>>;
      try {
        answer = handler(req);
      } catch (err) {
        return fail(err);
      }
      answer.then((data) => reply({ ok: true, data }), fail);
    });
  };
}
