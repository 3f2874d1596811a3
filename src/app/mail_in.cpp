// `lachan mail-in`: one RFC 5322 message on standard input, as an MTA's pipe transport delivers
// it. The sender must be a contact of an organisation of the constituency; a new message becomes
// an incident reported by that organisation, a reply naming an incident (LC-YYYY-NNNNNN in the
// subject) a comment on it, and every attachment evidence. The answer is a sysexits(3) code the
// MTA understands (EX_TEMPFAIL: keep the message and retry; the others: bounce) and one line on
// stderr naming why, which the MTA quotes in the bounce.
#include <sysexits.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "app/admin.h"
#include "app/incident_service.h"
#include "app/notifier.h"
#include "app/server.h"
#include "constituency/constituency.h"
#include "constituency/reference.h"
#include "notify/mail_parse.h"
#include "store/common.h"

namespace lachan::app {
namespace {

constexpr const char* kScope = "mail-in";  // named state: message key -> incident ref

int refuse(int code, std::string_view why) {
  fmt::print(stderr, "lachan mail-in: {}\n", why);
  return code;
}

// Store and module errors: what the MTA should do about them.
int exit_code_for(const Error& e) {
  switch (e.code) {
    case Errc::not_found:
    case Errc::denied:
    case Errc::conflict:
      return EX_NOPERM;
    case Errc::malformed:
    case Errc::limit:
    case Errc::unsupported:
      return EX_DATAERR;
    case Errc::invalid_config:
      return EX_CONFIG;  // Postfix and Exim defer on it: the message waits for the fix
    default:
      return EX_TEMPFAIL;  // busy, io, internal: the MTA keeps the message and retries
  }
}

struct Input {
  std::string bytes;
  uint64_t total = 0;
  bool too_big = false;
  int read_errno = 0;
};

// Reads all of standard input, keeping at most `max` bytes. The rest is read and dropped so that
// the MTA sees our exit code rather than a broken pipe.
Input read_stdin(size_t max) {
  Input in;
  std::string buf(1 << 16, '\0');
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      in.read_errno = errno;
      break;
    }
    if (n == 0) break;
    in.total += static_cast<uint64_t>(n);
    if (in.too_big) continue;
    if (in.bytes.size() + static_cast<size_t>(n) > max) {
      in.too_big = true;
      std::string().swap(in.bytes);
    } else {
      in.bytes.append(buf.data(), static_cast<size_t>(n));
    }
  }
  return in;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The organisations with a contact at this address (case-insensitive), or, with match_domain and
// no contact, the owner of the address's domain.
std::vector<const store::Organisation*> sender_orgs(const constituency::Constituency& reg, std::string_view address,
                                                    bool match_domain) {
  std::string want = lower(address);
  std::vector<const store::Organisation*> out;
  for (const auto& o : reg.organisations())
    if (std::any_of(o.contacts.begin(), o.contacts.end(), [&](const auto& c) { return lower(c.email) == want; }))
      out.push_back(&o);
  if (out.empty() && match_domain)
    if (auto at = want.rfind('@'); at != std::string::npos)
      if (const auto* o = reg.owner_of_domain(std::string_view(want).substr(at + 1))) out.push_back(o);
  return out;
}

Result<store::Incident> find_by_ref(store::Store& st, const store::Caller& c, const std::string& ref) {
  store::IncidentQuery q;
  q.filter.ref = ref;
  q.limit = 1;
  auto page = st.query_incidents(c, q);
  if (!page) return page.error();
  if (page->items.empty() || page->items.front().ref != ref)
    return make_error(Errc::not_found, fmt::format("no incident {}", ref));
  // A reply to a merged incident belongs to the one it was merged into.
  store::Incident inc = std::move(page->items.front());
  for (int hops = 0; inc.merged_into != 0 && hops < 16; ++hops) {
    auto into = st.get_incident(c, inc.merged_into);
    if (!into) return into.error();
    inc = std::move(*into);
  }
  return inc;
}

}  // namespace

int cmd_mail_in(const MailInArgs& args) {
  struct {
    ServeConfig serve;
    std::string category;
    size_t max_bytes;
    bool match_domain;
  } a{{}, args.category, args.max_bytes, args.match_domain};
  if (!args.config_file.empty())
    if (auto r = load_serve_toml(args.config_file, a.serve); !r) return refuse(EX_CONFIG, r.error().message);
  if (!args.data_dir.empty()) a.serve.data_dir = args.data_dir;
  if (!args.sla_config.empty()) a.serve.sla_config = args.sla_config;
  a.serve.config_dir = args.config_dir;

  Input in = read_stdin(a.max_bytes);
  if (in.read_errno)
    return refuse(EX_TEMPFAIL, fmt::format("cannot read the message: {}", std::strerror(in.read_errno)));
  if (in.too_big)
    return refuse(EX_DATAERR,
                  fmt::format("message too large: {} bytes, more than the limit of {} (5.3.4)", in.total, a.max_bytes));
  notify::MailParseLimits limits;
  limits.max_bytes = a.max_bytes;
  auto mail = notify::parse_mail(in.bytes, limits);
  if (!mail) return refuse(EX_DATAERR, fmt::format("malformed message: {}", mail.error().message));
  const std::string from = lower(mail->from.address);

  auto st = open_store(a.serve.data_dir);
  if (!st) return refuse(EX_TEMPFAIL, fmt::format("store unavailable: {}", st.error().message));
  auto ref_data = constituency::load_reference(a.serve.config_dir + "/reference");
  if (!ref_data) return refuse(EX_CONFIG, ref_data.error().message);
  auto orgs = (*st)->list_organisations();
  if (!orgs) return refuse(EX_TEMPFAIL, fmt::format("store unavailable: {}", orgs.error().message));
  if (orgs->empty()) return refuse(EX_CONFIG, fmt::format("no organisations in {}", a.serve.data_dir));
  auto snap = constituency::Constituency::build(std::move(*orgs), *ref_data);
  if (!snap)
    return refuse(EX_CONFIG, fmt::format("the stored organisations are inconsistent: {}", snap.error().message));
  RegistryHolder registry(*snap);

  auto matched = sender_orgs(**snap, from, a.match_domain);
  if (matched.empty())
    return refuse(EX_NOUSER, fmt::format("unknown sender <{}>: not a contact of any organisation", from));
  if (matched.size() > 1)
    return refuse(EX_NOUSER, fmt::format("ambiguous sender <{}>: a contact of {} organisations", from, matched.size()));
  const store::Caller caller{"mail:" + from, matched.front()->id, store::Role::reporter};
  if (!store::may_report_incident(caller.role)) return refuse(EX_NOPERM, "the mail role may not report incidents");

  // The incident service for its reference data (taxonomy, SLA policy), routes and evidence
  // files; no SLA scanner runs here.
  ServerContext ctx;
  ctx.cfg = a.serve;
  ctx.cfg.sla_scan_interval_ms = 0;
  ctx.store = st->get();
  ctx.registry = &registry;
  IncidentService incidents(ctx);
  if (auto r = incidents.start(); !r) return refuse(EX_CONFIG, r.error().message);
  ctx.incidents = &incidents;
  if (!incidents.rsit().contains(a.category))
    return refuse(EX_CONFIG, fmt::format("--category '{}' is not an RSIT category", a.category));

  // A message delivered twice (the MTA retried after a lost answer) is the same report: keyed by
  // its Message-ID, or by its bytes when it has none.
  const std::string key = mail->message_id.empty() ? "sha256:" + store::sha256_hex(in.bytes) : mail->message_id;
  const std::string remote = "mail:" + (mail->message_id.empty() ? key : mail->message_id);
  auto known = (*st)->get_state(kScope, key);
  if (!known) return refuse(EX_TEMPFAIL, known.error().message);

  auto audit = [&](const std::string& action, const std::string& ref, size_t evidence) {
    boost::json::object d{
        {"from", from}, {"message_id", mail->message_id}, {"subject", mail->subject}, {"evidence", evidence}};
    cli_audit(**st, action, "incident:" + ref, caller.org_id, boost::json::serialize(d), caller.actor);
  };

  const auto now = store::system_now();
  store::Incident inc;
  std::string action;
  if (*known) {
    auto i = find_by_ref(**st, caller, **known);
    if (!i) {
      if (exit_code_for(i.error()) == EX_NOPERM) {
        audit("mail.refused", **known, 0);
        return refuse(EX_NOPERM, fmt::format("<{}> may not see incident {}", from, **known));
      }
      return refuse(exit_code_for(i.error()), i.error().message);
    }
    inc = std::move(*i);
    action = "mail.duplicate";
  } else if (auto ref = notify::find_incident_ref(mail->subject)) {
    auto i = find_by_ref(**st, caller, *ref);
    if (!i) {
      if (exit_code_for(i.error()) == EX_NOPERM) {
        audit("mail.refused", *ref, 0);
        return refuse(EX_NOPERM, fmt::format("<{}> may not comment on incident {}", from, *ref));
      }
      return refuse(exit_code_for(i.error()), i.error().message);
    }
    inc = std::move(*i);
    std::string text = fmt::format("E-mail from {}{}<{}>: {}\n\n{}", mail->from.name,
                                   mail->from.name.empty() ? "" : " ", from, mail->subject, mail->text);
    if (auto c = (*st)->add_incident_comment(caller, inc.id, text, now); !c)
      return refuse(exit_code_for(c.error()), fmt::format("cannot comment on {}: {}", inc.ref, c.error().message));
    action = "mail.comment";
  } else {
    store::NewIncident n;
    n.title = mail->subject.empty() ? fmt::format("E-mail from <{}>", from) : mail->subject;
    n.description = mail->text;
    n.category = a.category;
    n.severity = store::Severity::medium;
    n.tlp = "amber";
    n.pap = "amber";
    n.affected_orgs = {caller.org_id};
    n.team = caller.org_id;  // as a report over the API: the reporting organisation handles it
    n.source = "email";
    n.routed_to = incidents.routes_for(n.affected_orgs, n.team);
    n.source_key = "mail:" + key;  // the same message delivered twice at once is still one report
    auto i = (*st)->create_incident(caller, n, incidents.sla(), now);
    if (!i) return refuse(exit_code_for(i.error()), fmt::format("cannot report the incident: {}", i.error().message));
    inc = std::move(*i);
    action = inc.existing ? "mail.duplicate" : "mail.report";
  }
  if (!*known)
    if (auto r = (*st)->put_state(kScope, key, inc.ref, now); !r)
      return refuse(EX_TEMPFAIL, fmt::format("{} recorded, but not the Message-ID: {}", inc.ref, r.error().message));

  // Attachments: each file once per incident (by SHA-256 and name), so a retried delivery adds
  // what a failed one did not.
  auto have = (*st)->list_evidence(caller, inc.id);
  if (!have) return refuse(exit_code_for(have.error()), have.error().message);
  size_t added = 0;
  for (const auto& att : mail->attachments) {
    if (att.bytes.empty()) continue;
    std::string name = clean_evidence_name(att.name);
    std::string sha = store::sha256_hex(att.bytes);
    if (std::any_of(have->begin(), have->end(), [&](const auto& e) { return e.sha256 == sha && e.name == name; }))
      continue;
    if (att.bytes.size() > a.serve.max_evidence_bytes)
      return refuse(EX_DATAERR, fmt::format("attachment {} has {} bytes, more than the limit of {}", name,
                                            att.bytes.size(), a.serve.max_evidence_bytes));
    auto stored = incidents.store_evidence(att.bytes);
    if (!stored) return refuse(EX_TEMPFAIL, stored.error().message);
    store::NewEvidence ev;
    ev.sha256 = *stored;
    ev.name = name;
    ev.media_type = att.media_type.empty() ? "application/octet-stream" : att.media_type;
    ev.size = static_cast<int64_t>(att.bytes.size());
    auto e = (*st)->add_evidence(caller, inc.id, ev, remote, now);
    if (!e) return refuse(exit_code_for(e.error()), fmt::format("evidence {}: {}", name, e.error().message));
    have->push_back(*e);
    ++added;
  }
  // A report by e-mail reaches subscribers and the live stream like one over the API: what is
  // enqueued here, the dispatcher of `lachan serve` on the same store sends. The incident is
  // recorded already, so a failure here is reported, not a reason for the MTA to retry.
  if (action == "mail.report") {
    NotifyConfig nc;
    std::string notify_toml = a.serve.notify_config;
    if (notify_toml.empty() && std::filesystem::exists(a.serve.config_dir + "/notify.toml"))
      notify_toml = a.serve.config_dir + "/notify.toml";
    Result<void> loaded;
    if (!notify_toml.empty()) loaded = load_notify_toml(notify_toml, nc);
    Notifier notifier(ctx, nc);
    if (auto r = loaded.ok() ? notifier.notify_incident_event("incident.created", inc) : loaded; !r)
      fmt::print(stderr, "lachan mail-in: {} recorded, but subscribers were not notified: {}\n", inc.ref,
                 r.error().message);
  }
  audit(action, inc.ref, added);
  fmt::print("{}\n", inc.ref);
  return EX_OK;
}

}  // namespace lachan::app
