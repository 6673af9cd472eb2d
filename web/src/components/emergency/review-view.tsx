import { type IncidentReview, MAX_REVIEW_USES } from '@wall/protocol';
import type { Lang } from '../../lib/i18n';
import { ConfirmationStatus } from './confirmation';
import styles from './emergency.module.css';
import { formatTime } from './format';
import { emergencyStrings } from './strings';

/**
 * An incident's after-action review (R-ACC-4): the counts, then every use of its emergency grant,
 * oldest first — who (person and organisation), which camera, whose and how funded, which profile;
 * tokens withheld because the media node failed are marked. No hooks: rendered on the server.
 */
export function ReviewView({ review, lang }: { review: IncidentReview; lang: Lang }) {
  const t = emergencyStrings(lang);
  const s = review.summary;
  const figures: [key: string, label: string, value: number][] = [
    ['uses', t.summaryUses, s.uses],
    ['withheld', t.summaryWithheld, s.withheld],
    ['cameras', t.summaryCameras, s.cameras],
    ['private-cameras', t.summaryPrivate, s.privateCameras],
    ['users', t.summaryUsers, s.users],
    ['owner-orgs', t.summaryOwners, s.ownerOrgs],
  ];
  return (
    <section className={styles.section} data-testid="review" data-incident-id={review.incidentId}>
      <p className={styles.meta}>
        <span className={styles.tag}>{t.level(review.level)}</span> {t.openedAt}{' '}
        <time dateTime={review.openedAt}>{formatTime(review.openedAt, lang)}</time> · {t.closedAt}{' '}
        {review.closedAt ? (
          <time dateTime={review.closedAt} data-testid="review-closed-at">
            {formatTime(review.closedAt, lang)}
          </time>
        ) : (
          <span data-testid="review-closed-at">{t.stillOpen}</span>
        )}
      </p>
      {review.confirmBy !== null && (
        <p className={styles.meta} data-testid="review-confirmation">
          {t.confirmation}: <ConfirmationStatus c={review} lang={lang} nowMs={Date.now()} /> · {t.grantEnds}{' '}
          {review.grantEndsAt ? (
            <time dateTime={review.grantEndsAt} data-testid="review-grant-ends">
              {formatTime(review.grantEndsAt, lang)}
            </time>
          ) : (
            t.untilClosed
          )}
        </p>
      )}
      <dl className={styles.summary} data-testid="review-summary">
        {figures.map(([key, label, value]) => (
          <div key={key}>
            <dt>{label}</dt>
            <dd data-testid={`summary-${key}`}>{value}</dd>
          </div>
        ))}
      </dl>
      {review.uses.length === 0 ? (
        <p className={styles.muted} data-testid="review-empty">
          {t.noUses}
        </p>
      ) : (
        <table className={styles.table}>
          <thead>
            <tr>
              <th>{t.time}</th>
              <th>{t.actorUser}</th>
              <th>{t.actorOrg}</th>
              <th>{t.camera}</th>
              <th>{t.owner}</th>
              <th>{t.funding}</th>
              <th>{t.profile}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {review.uses.map((u) => (
              <tr
                key={u.seq}
                data-testid="review-use"
                data-seq={u.seq}
                data-camera-id={u.cameraId}
                data-withheld={u.withheld}
                className={u.withheld ? styles.withheldRow : undefined}
              >
                <td>
                  <time dateTime={u.at}>{formatTime(u.at, lang)}</time>
                </td>
                <td data-col="user">{u.actorName}</td>
                <td data-col="org">{t.orgLabel(u.actorOrgName, t.departments[u.actorDepartment])}</td>
                <td data-col="camera">{u.cameraName}</td>
                <td data-col="owner">{u.ownerOrgName}</td>
                <td data-col="funding">
                  <span className={u.funding === 'private' ? styles.private : undefined}>
                    {t.fundings[u.funding]}
                  </span>
                </td>
                <td data-col="profile">{t.profiles[u.profile]}</td>
                <td data-col="withheld">
                  {u.withheld ? <span className={styles.withheldTag}>{t.withheld}</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {review.truncated && <p className={styles.notice}>{t.truncated(MAX_REVIEW_USES)}</p>}
      {s.withheld > 0 && <p className={styles.muted}>{t.withheldNote}</p>}
    </section>
  );
}
