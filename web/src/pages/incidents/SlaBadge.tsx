import type { Incident } from '../../api';
import { useNow } from '../../components';
import { fmtDuration, useT } from '../../i18n';
import { currentClock, incidentSla, type SlaClock } from '../../lib/sla';

export function ClockText({ clock, label }: { clock: SlaClock; label?: string }) {
  const t = useT();
  if (clock.state === 'none') return <span className="sla muted">—</span>;
  const text =
    clock.state === 'met' ? t('sla.met')
    : clock.state === 'breached' ? t('sla.overdue', { time: fmtDuration(clock.remainingMs) })
    : t('sla.dueIn', { time: fmtDuration(clock.remainingMs) });
  return (
    <span className={`sla ${clock.state}`} title={clock.due ? t.dateTime(clock.due) : undefined} data-sla={clock.state}>
      {label ? `${label}: ` : ''}{text}
    </span>
  );
}

/** The clock that matters now, ticking every second. */
export function SlaBadge({ incident }: { incident: Incident }) {
  const t = useT();
  const now = useNow(1000);
  const c = currentClock(incident, now);
  return <ClockText clock={c.clock} label={t(c.which === 'firstResponse' ? 'sla.firstResponse' : 'sla.resolution')} />;
}

export function SlaBoth({ incident }: { incident: Incident }) {
  const t = useT();
  const now = useNow(1000);
  const c = incidentSla(incident, now);
  return (
    <div className="row">
      <ClockText clock={c.firstResponse} label={t('sla.firstResponse')} />
      <ClockText clock={c.resolution} label={t('sla.resolution')} />
    </div>
  );
}
