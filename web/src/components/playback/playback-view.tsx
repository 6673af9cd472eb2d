'use client';

import type { RecordingTimeline, StreamProfile } from '@wall/protocol';
import { MAX_TIMELINE_DAYS } from '@wall/protocol';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useSession } from '../../lib/gateway';
import type { Lang } from '../../lib/i18n';
import {
  clampView,
  errorBody,
  isRefusal,
  PLAYBACK_SPEEDS,
  type PlaybackGrantSource,
  stepSpan,
  type TimeView,
  usePlaybackPlayer,
  zoomTo,
} from '../../lib/playback';
import styles from './playback.module.css';
import { formatWall, playbackStrings, refusalText, spanText } from './strings';
import { Timeline } from './timeline';

export interface PlaybackViewProps {
  lang: Lang;
  cameraId: string;
  cameraName: string | null;
  /** The stream asked for in the URL; otherwise the one with recordings (main first). */
  profile: StreamProfile | null;
}

const HOUR = 3_600_000;
const DAY_MS = 86_400_000;
const SEEK_STEP_MS = 10_000;

function isTyping(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable ||
      target.tagName === 'INPUT' ||
      target.tagName === 'TEXTAREA' ||
      target.tagName === 'SELECT')
  );
}

/** `YYYY-MM-DDTHH:mm:ss` in local time, for a datetime-local input. */
function localInput(ms: number): string {
  return formatWall(ms).replace(' ', 'T');
}

/** The range the timeline asks for: the view and half a view either side, ≤ 31 days, not past now. */
function fetchRange(view: TimeView, now: number): { from: number; to: number } {
  const max = MAX_TIMELINE_DAYS * DAY_MS - 60_000;
  const pad = Math.min(view.span / 2, Math.max(0, (max - view.span) / 2));
  const to = Math.min(view.start + view.span + pad, now + 60_000);
  const from = Math.max(view.start - pad, to - max);
  return { from, to: Math.max(to, from + 60_000) };
}

/**
 * One camera's recordings: the timeline (ranges, gaps, holds, incidents) and the player. Click or
 * drag on the timeline plays from that time; zoom from 30 days to 1 minute; speeds; jump to a date
 * and time; copy the presented frame's time; keyboard shortcuts (the help dialog lists them).
 */
export function PlaybackView({ lang, cameraId, cameraName, profile: askedProfile }: PlaybackViewProps) {
  const t = playbackStrings(lang);
  const { client, gatewayUrl } = useSession();
  const [now, setNow] = useState(() => Date.now());
  const [view, setView] = useState<TimeView>(() => ({ start: Date.now() - 0.95 * HOUR, span: HOUR }));
  const [profile, setProfile] = useState<StreamProfile | null>(askedProfile);
  const [data, setData] = useState<RecordingTimeline | null>(null);
  const [dataError, setDataError] = useState<{ code: string; message: string } | null>(null);
  const [reload, setReload] = useState(0);
  const [cursor, setCursor] = useState<number | null>(null);
  const [copied, setCopied] = useState<{ text: string; ms: number } | 'failed' | null>(null);
  const [help, setHelp] = useState(false);
  const [jump, setJump] = useState('');
  const video = useRef<HTMLVideoElement>(null);
  const jumpInput = useRef<HTMLInputElement>(null);
  const lastFrame = useRef<number | null>(null);

  const source = useMemo<PlaybackGrantSource>(
    () => ({ playback: (id, request) => client.playback(id, request) }),
    [client],
  );
  const { view: pv, player } = usePlaybackPlayer({
    cameraId: profile ? cameraId : null,
    profile: profile ?? 'main',
    source,
    gatewayUrl,
    video,
    onFrame: (wall) => {
      lastFrame.current = wall;
    },
  });

  const setViewClamped = useCallback(
    (next: TimeView) =>
      setView(clampView(next, { min: Date.now() - 400 * DAY_MS, max: Date.now() + next.span * 0.05 })),
    [],
  );

  // The clock, the playhead (at most 5 times a second) and following it while it plays.
  useEffect(() => {
    const id = setInterval(() => {
      setNow(Date.now());
      setCursor(lastFrame.current);
    }, 200);
    return () => clearInterval(id);
  }, []);
  useEffect(() => {
    if (cursor === null || pv.state !== 'playing') return;
    setView((v) => (cursor > v.start + 0.95 * v.span ? { start: cursor - v.span / 2, span: v.span } : v));
  }, [cursor, pv.state]);

  // Which stream: the one asked for, else main when it has recordings, else sub.
  useEffect(() => {
    if (profile) return;
    let gone = false;
    const to = Date.now();
    const q = (p: StreamProfile) =>
      client.recordings(cameraId, {
        profile: p,
        from: new Date(to - 7 * DAY_MS).toISOString(),
        to: new Date(to).toISOString(),
      });
    q('main')
      .then(async (main) => {
        if (gone) return;
        if (main.ranges.length > 0) {
          setProfile('main');
          return;
        }
        const sub = await q('sub');
        if (!gone) setProfile(sub.ranges.length > 0 ? 'sub' : 'main');
      })
      .catch((err: unknown) => {
        if (gone) return;
        setDataError(errorBody(err));
        setProfile('main');
      });
    return () => {
      gone = true;
    };
  }, [client, cameraId, profile]);

  // The timeline of the visible window (again every 10 s: recording goes on).
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => setTick((n) => n + 1), 10_000);
    return () => clearInterval(id);
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: tick and reload are change counters (fetch again)
  useEffect(() => {
    if (!profile) return;
    let gone = false;
    const timer = setTimeout(() => {
      const r = fetchRange(view, Date.now());
      client
        .recordings(cameraId, {
          profile,
          from: new Date(r.from).toISOString(),
          to: new Date(r.to).toISOString(),
        })
        .then((d) => {
          if (gone) return;
          setData(d);
          setDataError(null);
        })
        .catch((err: unknown) => {
          if (!gone) setDataError(errorBody(err));
        });
    }, 200);
    return () => {
      gone = true;
      clearTimeout(timer);
    };
  }, [client, cameraId, profile, view, tick, reload]);

  const seek = useCallback(
    (wall: number) => {
      if (!player) return;
      const at = Math.min(wall, Date.now() - 1000);
      lastFrame.current = null;
      setCursor(at);
      void player.play(at);
    },
    [player],
  );

  const copyTime = useCallback(async () => {
    const ms = player?.presentedTime() ?? null;
    if (ms === null) return;
    const text = formatWall(ms, true);
    try {
      await navigator.clipboard.writeText(text);
      setCopied({ text, ms });
    } catch {
      setCopied('failed');
    }
  }, [player]);

  const zoom = useCallback(
    (dir: 1 | -1) =>
      setView((v) => {
        const inView = (x: number | null): x is number => x !== null && x >= v.start && x <= v.start + v.span;
        const t = Date.now();
        // Around the playhead, else around now, else the middle.
        const anchor = inView(cursor) ? cursor : inView(t) ? t : v.start + v.span / 2;
        return clampView(zoomTo(v, stepSpan(v.span, dir), anchor), {
          min: Date.now() - 400 * DAY_MS,
          max: Date.now() + v.span,
        });
      }),
    [cursor],
  );
  const pan = (fraction: number) =>
    setViewClamped({ start: view.start + fraction * view.span, span: view.span });
  const toNow = () => setViewClamped({ start: Date.now() - 0.95 * view.span, span: view.span });
  const speedStep = useCallback(
    (dir: 1 | -1) => {
      const i = PLAYBACK_SPEEDS.indexOf(pv.speed);
      const next = PLAYBACK_SPEEDS[Math.min(Math.max(i + dir, 0), PLAYBACK_SPEEDS.length - 1)];
      if (next !== undefined) player?.setSpeed(next);
    },
    [player, pv.speed],
  );
  const togglePlay = useCallback(() => {
    if (!player) return;
    if (pv.state === 'playing' || pv.state === 'waiting') player.pause();
    else if (pv.state === 'paused' || pv.state === 'ended') player.resume();
  }, [player, pv.state]);

  const jumpTo = () => {
    const ms = new Date(jump).getTime();
    if (!Number.isFinite(ms)) return;
    setViewClamped({ start: ms - view.span / 2, span: view.span });
    seek(ms);
  };

  // Keyboard shortcuts (listed in the help dialog); keys typed into a field are left alone.
  const keys = useRef({ togglePlay, zoom, seek, speedStep, copyTime, toNow, cursor });
  keys.current = { togglePlay, zoom, seek, speedStep, copyTime, toNow, cursor };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'Escape') {
        setHelp(false);
        return;
      }
      if (isTyping(e.target)) return;
      const k = keys.current;
      const handled = (() => {
        switch (e.key) {
          case ' ':
            k.togglePlay();
            return true;
          case '+':
          case '=':
            k.zoom(-1);
            return true;
          case '-':
          case '_':
            k.zoom(1);
            return true;
          case 'ArrowLeft':
          case 'ArrowRight':
            if (k.cursor !== null) k.seek(k.cursor + (e.key === 'ArrowLeft' ? -SEEK_STEP_MS : SEEK_STEP_MS));
            return true;
          case '[':
            k.speedStep(-1);
            return true;
          case ']':
            k.speedStep(1);
            return true;
          case 'c':
          case 'C':
            void k.copyTime();
            return true;
          case 'j':
          case 'J':
            jumpInput.current?.focus();
            return true;
          case 'n':
          case 'N':
            k.toNow();
            return true;
          case '?':
            setHelp(true);
            return true;
          default:
            return false;
        }
      })();
      if (handled) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const refusal = dataError ?? (pv.state === 'denied' ? pv.error : null);
  // The timeline itself is refused: no player to show.
  const refusedAll = dataError !== null && isRefusal(dataError.code);
  const playing = pv.state === 'playing' || pv.state === 'waiting';
  const frameTime = player?.presentedTime() ?? null;

  return (
    <main
      className={styles.page}
      data-testid="playback-page"
      data-camera-id={cameraId}
      data-profile={profile ?? ''}
    >
      <header className={styles.head}>
        <h1>
          {t.title} · <span data-testid="playback-camera-name">{cameraName ?? cameraId.slice(0, 8)}</span>
        </h1>
        <label className={styles.profile}>
          {t.profile}
          <select
            value={profile ?? 'main'}
            onChange={(e) => setProfile(e.target.value === 'sub' ? 'sub' : 'main')}
            data-testid="playback-profile"
          >
            <option value="main">{t.main}</option>
            <option value="sub">{t.sub}</option>
          </select>
        </label>
        {(pv.emergency || data?.emergency) && <span className={styles.emergency}>{t.emergency}</span>}
        <button
          type="button"
          className={styles.helpButton}
          onClick={() => setHelp(true)}
          aria-label={t.help}
          title="?"
        >
          ?
        </button>
      </header>

      {refusal && (
        <div className={styles.refusal} role="alert" data-testid="playback-refusal" data-code={refusal.code}>
          <strong>{t.refused}</strong>
          <span>{refusalText(lang, refusal.code, refusal.message)}</span>
          {dataError && !dataError.code.startsWith('forbidden:') && (
            <button type="button" onClick={() => setReload((n) => n + 1)}>
              {t.retry}
            </button>
          )}
        </div>
      )}

      <section className={styles.stage} hidden={refusedAll}>
        <video
          ref={video}
          className={styles.video}
          muted
          playsInline
          aria-label={t.video}
          data-testid="playback-video"
          data-state={pv.state}
        />
        {pv.state === 'idle' && !refusal && <div className={styles.overlay}>{t.idle}</div>}
        {pv.state === 'loading' && <div className={styles.overlay}>{t.loading}</div>}
        {pv.state === 'waiting' && <div className={styles.overlay}>{t.waiting}</div>}
        {pv.state === 'ended' && <div className={styles.overlay}>{t.ended}</div>}
        {pv.state === 'damaged' && (
          <div
            className={styles.damaged}
            role="alert"
            data-testid="playback-damaged"
            data-code={pv.error?.code}
          >
            <strong>{pv.error?.code === 'recording:missing' ? t.missing : t.damaged}</strong>
            {pv.damaged && (
              <span>
                {t.damagedRange}: {formatWall(pv.damaged.from)} – {formatWall(pv.damaged.to)}
              </span>
            )}
            <span className={styles.code}>{pv.error?.code}</span>
          </div>
        )}
        {pv.state === 'error' && pv.error && (
          <div className={styles.damaged} role="alert" data-testid="playback-error" data-code={pv.error.code}>
            {refusalText(lang, pv.error.code, pv.error.message)}
          </div>
        )}
      </section>

      <div className={styles.notes}>
        {pv.transcoded && (
          <p className={styles.note} data-testid="playback-transcoded">
            {t.transcoded}
          </p>
        )}
        {pv.skippedGap && pv.state !== 'damaged' && (
          <p className={styles.note} data-testid="playback-skipped-gap">
            {t.skippedGap}
          </p>
        )}
      </div>

      <div className={styles.controls}>
        <button
          type="button"
          onClick={togglePlay}
          disabled={!player || pv.state === 'idle'}
          aria-label={playing ? t.pause : t.play}
          data-testid="playback-toggle"
        >
          {playing ? '❚❚' : '▶'}
        </button>
        {/* biome-ignore lint/a11y/useSemanticElements: a group of toggle buttons */}
        <div className={styles.speeds} role="group" aria-label={t.speed}>
          {PLAYBACK_SPEEDS.map((s) => (
            <button
              key={s}
              type="button"
              aria-pressed={pv.speed === s}
              onClick={() => player?.setSpeed(s)}
              data-testid={`playback-speed-${s}`}
            >
              {s}×
            </button>
          ))}
        </div>
        <span className={styles.frameTime} data-testid="frame-time" data-ms={frameTime ?? ''}>
          {t.frameTime}: {frameTime !== null ? formatWall(frameTime, true) : t.noFrame}
        </span>
        <button
          type="button"
          onClick={() => void copyTime()}
          disabled={frameTime === null}
          data-testid="copy-time"
        >
          {t.copyTime}
        </button>
        {copied && (
          <span
            className={styles.copied}
            role="status"
            data-testid="copied"
            data-ms={copied === 'failed' ? '' : copied.ms}
          >
            {copied === 'failed' ? t.copyFailed : `${t.copied} ${copied.text}`}
          </span>
        )}
        <span className={styles.spacer} />
        <form
          className={styles.jump}
          onSubmit={(e) => {
            e.preventDefault();
            jumpTo();
          }}
        >
          <label>
            {t.jumpTo}
            <input
              ref={jumpInput}
              type="datetime-local"
              step={1}
              value={jump}
              max={localInput(now)}
              onChange={(e) => setJump(e.target.value)}
              data-testid="jump-input"
            />
          </label>
          <button type="submit" data-testid="jump-go">
            {t.jumpGo}
          </button>
        </form>
      </div>

      <div className={styles.zoomRow}>
        <button type="button" onClick={() => pan(-0.5)} aria-label={t.earlier}>
          ◀
        </button>
        <button type="button" onClick={() => zoom(1)} aria-label={t.zoomOut} data-testid="zoom-out">
          −
        </button>
        <span className={styles.spanLabel} data-testid="zoom-span">
          {t.span}: {spanText(lang, view.span)}
        </span>
        <button type="button" onClick={() => zoom(-1)} aria-label={t.zoomIn} data-testid="zoom-in">
          +
        </button>
        <button type="button" onClick={() => pan(0.5)} aria-label={t.later}>
          ▶
        </button>
        <button type="button" onClick={toNow} data-testid="to-now">
          {t.toNow}
        </button>
        <span className={styles.spacer} />
        <span className={styles.legend}>
          <i className={styles.legendRange} /> {t.recorded}
          <i className={styles.legendGap} /> {t.gap}
          <i className={styles.legendHold} /> {t.hold}
          <i className={styles.legendIncident} /> {t.incident}
        </span>
      </div>

      <Timeline
        lang={lang}
        view={view}
        data={data}
        cursor={cursor}
        now={now}
        damaged={pv.damaged}
        onView={setViewClamped}
        onSeek={seek}
      />

      {help && (
        // biome-ignore lint/a11y/useKeyWithClickEvents: Escape closes it (page shortcut handler)
        // biome-ignore lint/a11y/noStaticElementInteractions: the backdrop closes the dialog on click
        <div className={styles.backdrop} onClick={() => setHelp(false)}>
          <div
            className={styles.dialog}
            role="dialog"
            aria-modal="true"
            aria-label={t.helpTitle}
            data-testid="playback-help"
            onClick={(e) => e.stopPropagation()}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setHelp(false);
            }}
          >
            <h2>{t.helpTitle}</h2>
            <table>
              <tbody>
                {t.keys.map(([k, what]) => (
                  <tr key={k}>
                    <td>
                      <kbd>{k}</kbd>
                    </td>
                    <td>{what}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <button type="button" onClick={() => setHelp(false)}>
              {t.close}
            </button>
          </div>
        </div>
      )}
    </main>
  );
}
