import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Ack, AppError } from './errors.ts';
import { bindRequests, errorAck, errorBodyFor, invalidRequestAck, type RequestSocket } from './socket.ts';

describe('error → ack', () => {
  const cases: [string, unknown, unknown][] = [
    [
      'an AppError: its code and message',
      new AppError('forbidden:wall', 'not your wall'),
      { ok: false, error: { code: 'forbidden:wall', message: 'not your wall' } },
    ],
    [
      'an AppError with a cause: the cause stays on the server',
      new AppError('unavailable:dependency', 'try again', { cause: new Error('ECONNREFUSED 10.0.0.7') }),
      { ok: false, error: { code: 'unavailable:dependency', message: 'try again' } },
    ],
    [
      'any other error: internal, its message not told',
      new Error('relation "walls" does not exist'),
      { ok: false, error: { code: 'internal', message: 'internal error' } },
    ],
    [
      'an error-shaped object: internal',
      { code: 'forbidden:wall', message: 'forged' },
      { ok: false, error: { code: 'internal', message: 'internal error' } },
    ],
    [
      'a thrown string: internal',
      'boom',
      { ok: false, error: { code: 'internal', message: 'internal error' } },
    ],
    ['undefined: internal', undefined, { ok: false, error: { code: 'internal', message: 'internal error' } }],
  ];
  it.each(cases)('%s', (_name, err, ack) => {
    expect(errorAck(err)).toEqual(ack);
    expect(errorBodyFor(err)).toEqual((ack as { error: unknown }).error);
  });

  it('a schema failure: invalid:request', () => {
    expect(invalidRequestAck()).toEqual({
      ok: false,
      error: { code: 'invalid:request', message: 'the request does not match its schema' },
    });
  });

  it('answers a fresh object each time (a caller may add fields)', () => {
    const a = errorAck(new Error('x'));
    (a.error as { message: string }).message = 'changed';
    expect(errorAck(new Error('x')).error.message).toBe('internal error');
    expect(invalidRequestAck()).not.toBe(invalidRequestAck());
  });
});

interface TestEvents {
  'thing:get': (req: { id: string }, ack: (res: Ack<{ name: string }>) => void) => void;
  'thing:list': (ack: (res: Ack<string[]>) => void) => void;
  'thing:changed': (info: { id: string }) => void;
}

/** A socket whose events the test delivers itself. */
function fakeSocket() {
  const listeners = new Map<string, (...args: unknown[]) => void>();
  const socket: RequestSocket = {
    on(event, listener) {
      listeners.set(event, listener);
      return socket;
    },
  };
  /** Delivers an event; resolves with what its ack got (undefined when no ack came within a tick). */
  const deliver = async (event: string, ...args: unknown[]) => {
    const listener = listeners.get(event);
    if (!listener) throw new Error(`nothing bound to ${event}`);
    return listener(...args);
  };
  return { socket, listeners, deliver };
}

/** Calls `listener` with `args` and an ack; resolves with the ack's argument. */
function request(listener: (...args: unknown[]) => void, ...args: unknown[]): Promise<unknown> {
  return new Promise((resolve) => listener(...args, resolve));
}

describe('bindRequests', () => {
  const schema = z.object({ id: z.string().min(1) }).strict();
  type Behaviour = (req: { id: string }) => Promise<{ name: string }>;
  const cases: {
    name: string;
    args: unknown[];
    behaviour: Behaviour;
    ack: unknown;
    called: boolean;
    internal: boolean;
  }[] = [
    {
      name: 'good payload: handler called with the parsed payload, ack ok with its answer',
      args: [{ id: 'a' }],
      behaviour: async (req) => ({ name: `thing ${req.id}` }),
      ack: { ok: true, data: { name: 'thing a' } },
      called: true,
      internal: false,
    },
    {
      name: 'payload refused by the schema: invalid:request, handler not called',
      args: [{ id: '' }],
      behaviour: async () => ({ name: 'never' }),
      ack: {
        ok: false,
        error: { code: 'invalid:request', message: 'the request does not match its schema' },
      },
      called: false,
      internal: false,
    },
    {
      name: 'unknown field (strict schema): invalid:request, handler not called',
      args: [{ id: 'a', admin: true }],
      behaviour: async () => ({ name: 'never' }),
      ack: {
        ok: false,
        error: { code: 'invalid:request', message: 'the request does not match its schema' },
      },
      called: false,
      internal: false,
    },
    {
      name: 'no payload at all, only the ack: invalid:request, handler not called',
      args: [],
      behaviour: async () => ({ name: 'never' }),
      ack: {
        ok: false,
        error: { code: 'invalid:request', message: 'the request does not match its schema' },
      },
      called: false,
      internal: false,
    },
    {
      name: 'handler rejects with an AppError: its code and message',
      args: [{ id: 'a' }],
      behaviour: async () => {
        throw new AppError('not_found:wall', 'no such wall');
      },
      ack: { ok: false, error: { code: 'not_found:wall', message: 'no such wall' } },
      called: true,
      internal: false,
    },
    {
      name: 'handler throws synchronously an AppError: its code and message',
      args: [{ id: 'a' }],
      behaviour: (() => {
        throw new AppError('forbidden:wall', 'not yours');
      }) as Behaviour,
      ack: { ok: false, error: { code: 'forbidden:wall', message: 'not yours' } },
      called: true,
      internal: false,
    },
    {
      name: 'handler rejects with another error: internal, reported to onInternalError',
      args: [{ id: 'a' }],
      behaviour: async () => {
        throw new TypeError('cannot read properties of undefined');
      },
      ack: { ok: false, error: { code: 'internal', message: 'internal error' } },
      called: true,
      internal: true,
    },
  ];

  it.each(cases)('$name', async ({ args, behaviour, ack, called, internal }) => {
    const { socket, listeners } = fakeSocket();
    const calls: unknown[] = [];
    const internals: [unknown, string][] = [];
    const bind = bindRequests<TestEvents>(socket, {
      onInternalError: (err, event) => internals.push([err, event]),
    });
    bind('thing:get', schema, (req) => {
      calls.push(req);
      return behaviour(req);
    });
    const listener = listeners.get('thing:get');
    if (!listener) throw new Error('not bound');
    expect(await request(listener, ...args)).toEqual(ack);
    expect(calls).toEqual(called ? [args[0]] : []);
    expect(internals.map(([, event]) => event)).toEqual(internal ? ['thing:get'] : []);
  });

  it('no ack function: ignored, the handler is not called', async () => {
    const { socket, deliver } = fakeSocket();
    let calls = 0;
    bindRequests<TestEvents>(socket)('thing:get', schema, async () => {
      calls++;
      return { name: 'x' };
    });
    await deliver('thing:get', { id: 'a' });
    await deliver('thing:get', { id: 'a' }, 'not a function');
    await deliver('thing:get');
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toBe(0);
  });

  it('an event without a payload: no schema, the handler gets undefined', async () => {
    const { socket, listeners } = fakeSocket();
    const got: unknown[] = [];
    bindRequests<TestEvents>(socket)('thing:list', undefined, async (req) => {
      got.push(req);
      return ['a', 'b'];
    });
    const listener = listeners.get('thing:list');
    if (!listener) throw new Error('not bound');
    expect(await request(listener)).toEqual({ ok: true, data: ['a', 'b'] });
    expect(got).toEqual([undefined]);
  });

  it('adds failureFields to the failed ack of a handler error, not to a schema failure', async () => {
    class Conflict extends AppError {
      constructor(readonly current: number) {
        super('conflict:version', 'stale');
      }
    }
    const { socket, listeners } = fakeSocket();
    bindRequests<TestEvents>(socket, {
      failureFields: (err) => (err instanceof Conflict ? { current: err.current } : undefined),
    })('thing:get', schema, async (req) => {
      if (req.id === 'stale') throw new Conflict(7);
      throw new AppError('not_found:wall', 'no such wall');
    });
    const listener = listeners.get('thing:get');
    if (!listener) throw new Error('not bound');
    expect(await request(listener, { id: 'stale' })).toEqual({
      ok: false,
      error: { code: 'conflict:version', message: 'stale' },
      current: 7,
    });
    expect(await request(listener, { id: 'other' })).toEqual({
      ok: false,
      error: { code: 'not_found:wall', message: 'no such wall' },
    });
    expect(await request(listener, {})).toEqual(invalidRequestAck());
  });

  it('is typed by the event map: only acked events, answers of their type', () => {
    const { socket } = fakeSocket();
    const bind = bindRequests<TestEvents>(socket);
    // @ts-expect-error a notification has no ack: it cannot be bound as a request
    bind('thing:changed', schema, async () => undefined);
    // @ts-expect-error the answer must be the ack's data type
    bind('thing:get', schema, async () => ['not', 'a', 'thing']);
    expect(true).toBe(true);
  });
});
