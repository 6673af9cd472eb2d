/**
 * Emergency access (R-ACC-4): the owners' notices — the top bar's badge and toasts, the /notices
 * list — and the incidents' after-action review (/incidents/:id/review). Strings in `strings.ts`
 * (zh default, en).
 */
export { ConfirmIncidentButton } from './confirm-button';
export { type ConfirmationFacts, ConfirmationStatus, confirmationState } from './confirmation';
export { DISPLAY_TIME_ZONE, formatTime, mayReadReviews } from './format';
export { GatewayUnavailablePage } from './gateway-unavailable';
export { NoticesControl, type NoticesControlProps } from './notices-control';
export { NoticesList, type NoticesListProps } from './notices-list';
export { ReviewView } from './review-view';
export { type EmergencyStrings, emergencyStrings, reasonWords } from './strings';
