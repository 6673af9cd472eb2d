export { cookieValue, originAllowed, refusal } from './handshake.ts';
export {
  circleReaches,
  INCIDENTS_CITY_ROOM,
  incidentAudience,
  incidentDistricts,
  incidentRoomsOf,
  incidentsDistrictRoom,
} from './incident-audience.ts';
export { attachRealtime, type Realtime, type RealtimeDeps } from './server.ts';
