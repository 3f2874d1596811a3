// Bulk status changes: POST /api/v1/warnings/bulk; on a server without it (404/405), one PATCH
// per warning, a few at a time, with the same result shape.
import { api, ApiError, type BulkAction, type BulkResult, type WarningStatus } from '../api';

export const BULK_STATUS: Record<BulkAction, WarningStatus> = {
  acknowledge: 'acknowledged',
  in_progress: 'in_progress',
  resolve: 'resolved',
  false_positive: 'false_positive',
};

export async function bulkUpdate(ids: number[], action: BulkAction, comment: string): Promise<BulkResult> {
  try {
    return await api<BulkResult>('/api/v1/warnings/bulk', { method: 'POST', body: { ids, action, comment: comment || undefined } });
  } catch (e) {
    if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 405)) throw e;
  }
  const results: BulkResult['results'] = [];
  const queue = [...ids];
  async function worker() {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        await api(`/api/v1/warnings/${id}`, { method: 'PATCH', body: { status: BULK_STATUS[action], comment } });
        results.push({ id, ok: true });
      } catch (e) {
        results.push({ id, ok: false, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(4, ids.length) }, worker));
  return { results, updated: results.filter((r) => r.ok).length };
}
