export { decide, EARTH_RADIUS_M, haversineMetres, hidesCamera } from './decide.ts';
export {
  INCIDENTS_CITY_ROOM,
  incidentAudience,
  incidentDistricts,
  incidentRoomsOf,
  incidentsDistrictRoom,
} from './incident-audience.ts';
export {
  confirmationRefusal,
  DEFAULT_RADIUS_LIMITS,
  declarationRefusal,
  type IncidentActor,
  type IncidentArea,
  isMajor,
  mayCommand,
  mayReadIncident,
  parseRadiusLimits,
  type RadiusLimits,
  type Refusal,
} from './incidents.ts';
export {
  ACTIONS,
  type Action,
  type AllowDecision,
  type CameraFacts,
  type Decision,
  type DenyDecision,
  type DenyReason,
  type EmergencyGrant,
  type IncidentFacts,
  type IncidentLevel,
  POLICY_ROLES,
  type PolicyContext,
  type Subject,
} from './types.ts';
