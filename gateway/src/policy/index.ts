export { catalogConditions, mayAdminister, REGISTRY_ADMIN_ROLE, type SqlParams } from './catalog-scope.ts';
export { decide, EARTH_RADIUS_M, haversineMetres, hidesCamera } from './decide.ts';
export { haversineSql, type LonLatBox, radiusBox } from './geo.ts';
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
  decideExport,
  decideRetrievalApproval,
  decideRetrievalRequest,
  mayApproveRetrievals,
  retrievalCovering,
} from './retrieval.ts';
export { subjectOf } from './subject.ts';
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
  type PlaybackContext,
  POLICY_ROLES,
  type PolicyContext,
  type RetrievalBasisFact,
  type RetrievalContext,
  type RetrievalGrant,
  type RetrievalIncident,
  type RetrievalUse,
  type Subject,
} from './types.ts';
export { mayUseWall } from './walls.ts';
