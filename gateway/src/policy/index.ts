export { decide, EARTH_RADIUS_M, haversineMetres, hidesCamera } from './decide.ts';
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
