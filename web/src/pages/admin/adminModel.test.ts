import { describe, expect, it } from 'vitest';
import { auditQuery, localToIso, subscriptionBody, type SubscriptionForm } from './adminModel';

const base: SubscriptionForm = {
  topics: ['warnings'], min_severity: 'high', categories: ' malware, ,phishing ', orgs: ['evn'], channel: 'email',
  destination: ' soc@example.vn ', secret: 'ignored-for-email', digest_minutes: 0, personal: false, language: '',
};

describe('subscriptionBody', () => {
  it('splits categories, trims the address and sends no secret for e-mail', () => {
    expect(subscriptionBody(base)).toEqual({
      topics: ['warnings'], min_severity: 'high', categories: ['malware', 'phishing'], orgs: ['evn'],
      channel: 'email', destination: 'soc@example.vn', digest_minutes: 0,
    });
  });
  it('sends the secret for a webhook and the object for web push', () => {
    expect(subscriptionBody({ ...base, channel: 'webhook', destination: 'https://h/x', secret: 's'.repeat(16) }).secret).toBe('s'.repeat(16));
    const wp = subscriptionBody({ ...base, channel: 'web_push', destination: '{"endpoint":"https://p","keys":{"p256dh":"a","auth":"b"}}', personal: true });
    expect(wp.destination).toEqual({ endpoint: 'https://p', keys: { p256dh: 'a', auth: 'b' } });
    expect(wp.personal).toBe(true);
    expect(subscriptionBody({ ...base, language: 'en' }).language).toBe('en');
    expect(subscriptionBody({ ...base, channel: 'web_push', destination: 'not json' }).destination).toBe('not json');
  });
});

describe('auditQuery', () => {
  it('turns local times into instants and leaves empty filters out', () => {
    const q = auditQuery({ actor: ' user:x ', action: '', since: '2026-01-02T03:04', until: '' }, 'c1');
    expect(q.actor).toBe('user:x');
    expect(q.action).toBe('');
    expect(q.since).toBe(new Date('2026-01-02T03:04').toISOString());
    expect(q.cursor).toBe('c1');
    expect(localToIso('garbage')).toBe('');
  });
});
