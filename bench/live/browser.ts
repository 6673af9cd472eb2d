// Chromium (playwright-core) driving the lab player page for the browser parts of `bench live`.
// The page is instrumented by page-probe.js (init script); the live client's chunk (the dynamic
// import of web/src/lib/live/viewer-client.ts) is held back by a route until the bench says "pull",
// so a measurement starts after the page has loaded and hydrated, not at navigation.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page, type Route } from 'playwright-core';
import { ROOT } from './platform.ts';

/** The time-strip reader shared with the browser tests (`globalThis.wallTimeStrip`, an init script). */
export const TIME_STRIP_SCRIPT = join(ROOT, 'infra/cameras/time-strip.js');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

// ——— what page-probe.js records (page clock: ms since performance.timeOrigin) ———

export interface SocketRec {
  url: string;
  createdAt: number;
  openAt: number | null;
  handshakeAt: number | null;
  connectAckAt: number | null;
}

export interface RequestRec {
  socket: number;
  id: number;
  event: string;
  sentAt: number;
  ackAt: number | null;
}

export interface FirstFrameRec {
  index: number;
  trackId: string;
  callbackAt: number;
  presentationTime: number;
  expectedDisplayTime: number;
  receiveTime: number | null;
  processingDuration: number | null;
  width: number;
  height: number;
}

export interface Snapshot {
  timeOrigin: number;
  perfNow: number;
  dateNow: number;
  sockets: SocketRec[];
  connects: number[];
  requests: RequestRec[];
  pcs: { createdAt: number; states: { kind: string; state: string; at: number }[] }[];
  firstFrames: FirstFrameRec[];
  liveEvents: { type: string; at: number; state?: string }[];
  frames: number[];
}

export interface StripSample {
  capture: number;
  dateNow: number;
  callbackAt: number;
  presentationTime: number;
  expectedDisplayTime: number;
  receiveTime: number | null;
  processingDuration: number | null;
}

export interface StripResult {
  error?: string;
  samples: StripSample[];
  rejected: Record<string, number>;
  elapsedMs: number;
}

export interface InboundStats {
  trackIdentifier: string;
  framesDecoded: number;
  framesDropped: number;
  keyFramesDecoded: number;
  framesReceived: number;
  packetsLost: number;
  packetsReceived: number;
  freezeCount: number;
  totalFreezesDuration: number;
  jitterBufferDelay: number;
  jitterBufferEmittedCount: number;
  totalDecodeTime: number;
  totalProcessingDelay: number;
  frameWidth: number;
  frameHeight: number;
  decoderImplementation: string;
  pliCount: number;
  nackCount: number;
}

/** The Turbopack chunk that holds the live client (it alone speaks `stream:consume`). */
function liveClientChunk(): string {
  const dir = join(ROOT, 'web', '.next', 'static', 'chunks');
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.js')) continue;
    const body = readFileSync(join(dir, name));
    if (body.includes('stream:consume') && body.includes('transport:create')) return name;
  }
  throw new Error('the live client chunk was not found in web/.next/static/chunks');
}

interface Hold {
  requested: Promise<number>;
  release: () => void;
}

/** A page whose live client loads only when released. */
export class BenchPage {
  readonly page: Page;
  #hold:
    | { onRequested: (at: number) => void; released: Promise<void>; release: () => void; fired: boolean }
    | undefined;

  private constructor(page: Page) {
    this.page = page;
  }

  static async open(browser: Browser): Promise<BenchPage> {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    const bp = new BenchPage(page);
    await page.addInitScript({ path: TIME_STRIP_SCRIPT });
    await page.addInitScript({ path: join(import.meta.dirname, 'page-probe.js') });
    const chunk = liveClientChunk();
    await page.route(
      (url) => url.pathname.endsWith(`/_next/static/chunks/${chunk}`),
      async (route: Route) => {
        const hold = bp.#hold;
        if (hold && !hold.fired) {
          hold.fired = true;
          hold.onRequested(Date.now());
          await hold.released;
        }
        await route.continue();
      },
    );
    return bp;
  }

  /** The next load of the live client waits for `release()`; `requested` resolves when the page asks. */
  hold(): Hold {
    let onRequested: (at: number) => void = () => undefined;
    const requested = new Promise<number>((r) => {
      onRequested = r;
    });
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => {
      release = r;
    });
    this.#hold = { onRequested, released, release, fired: false };
    return { requested, release };
  }

  /** Navigates to the player with these tokens, and waits until the page asks for its live client. */
  async load(url: string): Promise<Hold> {
    const hold = this.hold();
    await this.page.goto(url, { waitUntil: 'load' });
    await withTimeout(hold.requested, 15_000, 'the page did not load its live client');
    return hold;
  }

  /** Waits for `n` first frames (any tiles), or a tile error. */
  async waitFirstFrames(n: number, timeoutMs = 20_000): Promise<void> {
    // Strings, not functions: what runs in the page is exactly this (no transpiler helpers).
    await this.page.waitForFunction(
      `(() => {
        for (const t of document.querySelectorAll('[data-testid="wall-tile"]')) {
          if (t.dataset.state === 'error') throw new Error('tile ' + t.dataset.index + ': ' + t.dataset.error);
        }
        return window.__bench.firstFrames.length >= ${Number(n)};
      })()`,
      undefined,
      { timeout: timeoutMs, polling: 20 },
    );
  }

  snapshot(): Promise<Snapshot> {
    return this.page.evaluate('window.__bench.snapshot()') as Promise<Snapshot>;
  }

  strip(index: number, frames: number, timeoutMs: number): Promise<StripResult> {
    return this.page.evaluate(
      `window.__bench.strip(${Number(index)}, ${Number(frames)}, ${Number(timeoutMs)})`,
    ) as Promise<StripResult>;
  }

  inbound(): Promise<InboundStats[]> {
    return this.page.evaluate('window.__bench.inbound()') as Promise<InboundStats[]>;
  }

  frames(): Promise<number[]> {
    return this.page.evaluate('[...(window.__frames ?? [])]') as Promise<number[]>;
  }

  /** Leaves the player (the socket closes, the node drops the consumers). */
  async blank(): Promise<void> {
    this.#hold = undefined;
    await this.page.goto('about:blank');
  }

  close(): Promise<void> {
    return this.page.context().close();
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} (${ms} ms)`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
