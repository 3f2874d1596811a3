// What a role may do, mirroring the server (store::may_change_status, may_report_incident, the
// admin-only routes). The server decides; this only hides what would be refused.
import type { IncidentStatus, Role, WarningStatus } from './api';

export type Action =
  | 'warning.change' // change a warning's status, bulk actions
  | 'incident.report' // report or escalate, comment, add tasks/observables/evidence
  | 'incident.change' // status transitions, download/export evidence, share indicators
  | 'intel.read'
  | 'intel.import'
  | 'constituency.read'
  | 'rules.read'
  | 'audit.read'
  | 'admin';

const TABLE: Record<Action, Role[]> = {
  'warning.change': ['admin', 'analyst', 'responder'],
  'incident.report': ['admin', 'analyst', 'responder', 'reporter'],
  'incident.change': ['admin', 'analyst', 'responder'],
  'intel.read': ['admin', 'analyst', 'responder', 'reporter', 'viewer'],
  'intel.import': ['admin', 'analyst'],
  'constituency.read': ['admin', 'analyst', 'responder', 'reporter', 'viewer'],
  'rules.read': ['admin', 'analyst', 'responder'],
  'audit.read': ['admin', 'analyst'],
  admin: ['admin'],
};

export function roleCan(role: Role | undefined, action: Action): boolean {
  return !!role && TABLE[action].includes(role);
}

// store.h: transition_allowed
const WARNING_NEXT: Record<WarningStatus, WarningStatus[]> = {
  new: ['acknowledged', 'in_progress', 'resolved', 'false_positive'],
  acknowledged: ['in_progress', 'resolved', 'false_positive'],
  in_progress: ['resolved', 'false_positive'],
  resolved: ['in_progress'],
  false_positive: ['in_progress'],
};
export function warningNext(s: WarningStatus): WarningStatus[] {
  return WARNING_NEXT[s] ?? [];
}

// incident.h: incident_transition_allowed
const INCIDENT_NEXT: Record<IncidentStatus, IncidentStatus[]> = {
  new: ['triage'],
  triage: ['in_progress', 'closed'],
  in_progress: ['contained', 'resolved'],
  contained: ['resolved'],
  resolved: ['closed', 'triage'],
  closed: ['triage'],
};
export function incidentNext(s: IncidentStatus): IncidentStatus[] {
  return INCIDENT_NEXT[s] ?? [];
}
