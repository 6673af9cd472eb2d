'use client';

import type { RecordingTimeline } from '@wall/protocol';
import { type KeyboardEvent, type PointerEvent, useEffect, useRef, useState } from 'react';
import type { Lang } from '../../lib/i18n';
import { panBy, type TimeView, ticks, timeToX, wheelSpan, xToTime, zoomTo } from '../../lib/playback';
import styles from './playback.module.css';
import { formatWall, playbackStrings, tickLabel } from './strings';

export interface TimelineProps {
  lang: Lang;
  view: TimeView;
  data: RecordingTimeline | null;
  /** Wall-clock ms of the frame on screen (the playhead), or null. */
  cursor: number | null;
  now: number;
  /** A damaged segment's range, marked. */
  damaged: { from: number; to: number } | null;
  onView: (view: TimeView) => void;
  /** Play from this wall-clock time (a click, the end of a drag). */
  onSeek: (wallMs: number) => void;
}

const DRAG_PX = 4;

function pct(view: TimeView, from: number, to: number): { left: string; width: string } {
  const l = Math.max(0, Math.min(1, (from - view.start) / view.span));
  const r = Math.max(0, Math.min(1, (to - view.start) / view.span));
  return { left: `${l * 100}%`, width: `${Math.max(r - l, 0) * 100}%` };
}

/**
 * The recording timeline of one camera: recorded ranges, gaps (reason on hover), evidence holds and
 * incidents over the visible window; ticks in local time; the playhead. Wheel zooms around the
 * pointer (horizontal wheel pans), a click plays from that time, a drag scrubs (the time under the
 * pointer follows it and plays on release). Arrow keys on the focused track move a scrub mark.
 */
export function Timeline({ lang, view, data, cursor, now, damaged, onView, onSeek }: TimelineProps) {
  const t = playbackStrings(lang);
  const track = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(1000);
  const [hover, setHover] = useState<number | null>(null);
  const [scrub, setScrub] = useState<number | null>(null);
  const drag = useRef<{ x: number; moved: boolean; id: number } | null>(null);
  const latest = useRef({ view, onView });
  latest.current = { view, onView };

  useEffect(() => {
    const el = track.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth || 1000));
    ro.observe(el);
    setWidth(el.clientWidth || 1000);
    // A non-passive wheel listener: the page must not scroll while the timeline zooms.
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const { view: v, onView: set } = latest.current;
      const rect = el.getBoundingClientRect();
      if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        set(panBy(v, -e.deltaX, rect.width));
        return;
      }
      const anchor = xToTime(v, e.clientX - rect.left, rect.width);
      set(zoomTo(v, wheelSpan(v.span, e.deltaY), anchor));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => {
      ro.disconnect();
      el.removeEventListener('wheel', onWheel);
    };
  }, []);

  const timeAt = (clientX: number) => {
    const rect = track.current?.getBoundingClientRect();
    if (!rect) return view.start;
    return Math.min(xToTime(view, clientX - rect.left, rect.width), now);
  };

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    drag.current = { x: e.clientX, moved: false, id: e.pointerId };
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    setHover(timeAt(e.clientX));
    const d = drag.current;
    if (!d) return;
    if (Math.abs(e.clientX - d.x) > DRAG_PX) d.moved = true;
    if (d.moved) setScrub(timeAt(e.clientX));
  };
  const onPointerUp = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    drag.current = null;
    if (!d) return;
    e.currentTarget.releasePointerCapture(d.id);
    setScrub(null);
    onSeek(timeAt(e.clientX));
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Enter' && hover !== null) {
      e.preventDefault();
      onSeek(hover);
    }
  };

  const offset = -new Date(view.start).getTimezoneOffset() * 60_000;
  const { step, at } = ticks(view, width, offset);
  const ranges = data?.ranges ?? [];
  const gaps = data?.gaps ?? [];
  const holds = data?.holds ?? [];
  const incidents = data?.incidents ?? [];
  const mark = scrub ?? cursor;

  return (
    <div className={styles.timeline}>
      <div className={styles.bands} aria-hidden="true">
        {incidents.map((i) => {
          const to = i.to ? Date.parse(i.to) : now;
          const title = `${t.incident}: ${i.title} · ${t.levels[i.level] ?? i.level} · ${formatWall(Date.parse(i.from))} – ${i.to ? formatWall(to) : t.open}`;
          return (
            <div
              key={i.id}
              className={styles.incidentBand}
              style={pct(view, Date.parse(i.from), to)}
              title={title}
              data-testid="timeline-incident"
            />
          );
        })}
        {holds.map((h) => (
          <div
            key={h.id}
            className={styles.holdBand}
            style={pct(view, Date.parse(h.from), Date.parse(h.to))}
            title={`${t.hold}: ${h.reason} · ${t.case} ${h.caseNumber} · ${formatWall(Date.parse(h.from))} – ${formatWall(Date.parse(h.to))}`}
            data-testid="timeline-hold"
          />
        ))}
      </div>
      <div
        ref={track}
        className={styles.track}
        role="slider"
        tabIndex={0}
        aria-label={`${t.timeline}. ${t.timelineHint}`}
        aria-valuemin={view.start}
        aria-valuemax={view.start + view.span}
        aria-valuenow={mark ?? view.start}
        aria-valuetext={mark !== null ? formatWall(mark) : t.noFrame}
        data-testid="timeline"
        data-view-start={Math.round(view.start)}
        data-view-span={Math.round(view.span)}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerLeave={() => setHover(null)}
        onKeyDown={onKeyDown}
      >
        {ranges.map((r) => (
          <div
            key={r.from}
            className={styles.range}
            style={pct(view, Date.parse(r.from), Date.parse(r.to))}
            data-testid="timeline-range"
            data-from={r.from}
            data-to={r.to}
          />
        ))}
        {gaps.map((g) => (
          <div
            key={`${g.from}-${g.reason}`}
            className={styles.gapMark}
            style={pct(view, Date.parse(g.from), Date.parse(g.to))}
            title={`${t.gap}: ${t.gapReasons[g.reason] ?? g.reason}${g.detail ? ` (${g.detail})` : ''} · ${formatWall(Date.parse(g.from))} – ${formatWall(Date.parse(g.to))}`}
            data-testid="timeline-gap"
            data-reason={g.reason}
          />
        ))}
        {damaged && (
          <div
            className={styles.damagedMark}
            style={pct(view, damaged.from, damaged.to)}
            data-testid="timeline-damaged"
          />
        )}
        {now < view.start + view.span && (
          <div className={styles.future} style={pct(view, now, view.start + view.span)} title={t.now} />
        )}
        {mark !== null && mark >= view.start && mark <= view.start + view.span && (
          <div
            className={scrub !== null ? styles.scrubMark : styles.playhead}
            style={{ left: `${(timeToX(view, mark, 1) * 100).toFixed(4)}%` }}
            data-testid="timeline-playhead"
          />
        )}
        {hover !== null && (
          <div
            className={styles.hoverLabel}
            style={{ left: `${(timeToX(view, hover, 1) * 100).toFixed(4)}%` }}
          >
            {formatWall(hover)}
          </div>
        )}
      </div>
      <div className={styles.ticks} aria-hidden="true">
        {/* Labels too close to an edge would be cut off. */}
        {at
          .filter(
            (tick) => (tick - view.start) / view.span > 0.025 && (tick - view.start) / view.span < 0.975,
          )
          .map((tick) => (
            <span
              key={tick}
              className={styles.tick}
              style={{ left: `${(timeToX(view, tick, 1) * 100).toFixed(4)}%` }}
            >
              {tickLabel(tick, step)}
            </span>
          ))}
      </div>
    </div>
  );
}
