'use client';

import { DISTRICTS, type DistrictCode, type Grade, SITE_CATEGORIES, type SiteCategory } from '@wall/protocol';
import { useMemo, useState } from 'react';
import { districtName, GRADE_COLORS, gradeLabel, STATUS_COLORS, statusLabel } from './camera';
import { useMapSettings } from './context';
import { filtersActive } from './features';
import styles from './map.module.css';
import { mapMessages } from './strings';
import { type CameraFilters, type CameraMapData, type MapStatus, NO_FILTERS } from './types';

const GRADES: Grade[] = [1, 2, 3, 4];
const STATUSES: MapStatus[] = ['live', 'starting', 'stalled', 'offline', 'none'];

function categoryName(code: SiteCategory, lang: 'zh' | 'en'): string {
  const c = SITE_CATEGORIES.find((x) => x.code === code);
  if (!c) return code;
  return lang === 'en' ? `${c.article} ${code.replaceAll('_', ' ')}` : c.name;
}

function toggle<T>(list: readonly T[], value: T): T[] {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
}

/** Filters by district, site category, grade and live status (none ticked = all). */
export function CameraFilterPanel({
  data,
  filters,
  onChange,
  drawn,
}: {
  data: CameraMapData | undefined;
  filters: CameraFilters;
  onChange(f: CameraFilters): void;
  drawn: number;
}) {
  const { lang } = useMapSettings();
  const t = mapMessages(lang);
  const [open, setOpen] = useState(false);
  // Only the districts the user has cameras in.
  const districts = useMemo(() => {
    if (!data) return [] as DistrictCode[];
    const seen = new Uint8Array(DISTRICTS.length);
    for (let i = 0; i < data.count; i++) seen[data.district[i] ?? 0] = 1;
    return DISTRICTS.filter((_, i) => seen[i] === 1).map((d) => d.code);
  }, [data]);
  const active = filtersActive(filters);

  return (
    <section className={styles.filters} aria-label={t.filters} data-testid="map-filters">
      <header>
        <button
          type="button"
          className={styles.linkButton}
          onClick={() => setOpen(!open)}
          aria-expanded={open}
        >
          {t.filters}
          {active ? ' •' : ''}
        </button>
        <span className={styles.muted} data-testid="map-count">
          {t.shown} {drawn.toLocaleString()} / {(data?.count ?? 0).toLocaleString()} {t.cameras}
        </span>
        {active && (
          <button type="button" className={styles.linkButton} onClick={() => onChange(NO_FILTERS)}>
            {t.clear}
          </button>
        )}
      </header>
      {open && (
        <div className={styles.filterBody}>
          <fieldset>
            <legend>{t.district}</legend>
            {districts.map((code) => (
              <label key={code}>
                <input
                  type="checkbox"
                  checked={filters.districts.includes(code)}
                  onChange={() => onChange({ ...filters, districts: toggle(filters.districts, code) })}
                  data-filter="district"
                  value={code}
                />
                {districtName(code, lang)}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>{t.grade}</legend>
            {GRADES.map((g) => (
              <label key={g}>
                <input
                  type="checkbox"
                  checked={filters.grades.includes(g)}
                  onChange={() => onChange({ ...filters, grades: toggle(filters.grades, g) })}
                  data-filter="grade"
                  value={g}
                />
                <span className={styles.ring} style={{ borderColor: GRADE_COLORS[g], borderWidth: g }} />
                {gradeLabel(g, lang)}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>{t.status}</legend>
            {STATUSES.map((s) => (
              <label key={s}>
                <input
                  type="checkbox"
                  checked={filters.statuses.includes(s)}
                  onChange={() => onChange({ ...filters, statuses: toggle(filters.statuses, s) })}
                  data-filter="status"
                  value={s}
                />
                <span className={styles.statusDot} style={{ background: STATUS_COLORS[s] }} />
                {statusLabel(s, lang)}
              </label>
            ))}
          </fieldset>
          <fieldset className={styles.wide}>
            <legend>{t.category}</legend>
            {SITE_CATEGORIES.map((c) => (
              <label key={c.code}>
                <input
                  type="checkbox"
                  checked={filters.categories.includes(c.code)}
                  onChange={() => onChange({ ...filters, categories: toggle(filters.categories, c.code) })}
                  data-filter="category"
                  value={c.code}
                />
                {categoryName(c.code, lang)}
              </label>
            ))}
          </fieldset>
        </div>
      )}
    </section>
  );
}

/** Colour (live status) and ring (grade) legend. */
export function MapLegend() {
  const { lang } = useMapSettings();
  return (
    <div className={styles.legend} aria-hidden="true">
      {STATUSES.map((s) => (
        <span key={s}>
          <span className={styles.statusDot} style={{ background: STATUS_COLORS[s] }} />
          {statusLabel(s, lang)}
        </span>
      ))}
      {GRADES.map((g) => (
        <span key={g}>
          <span className={styles.ring} style={{ borderColor: GRADE_COLORS[g], borderWidth: g }} />
          {gradeLabel(g, lang)}
        </span>
      ))}
    </div>
  );
}
