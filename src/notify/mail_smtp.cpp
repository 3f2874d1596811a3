#include "notify/mail_smtp.h"

#include <vmime/net/smtp/SMTPExceptions.hpp>
#include <vmime/security/cert/X509Certificate.hpp>
#include <vmime/security/cert/certificateException.hpp>
#include <vmime/security/cert/defaultCertificateVerifier.hpp>
#include <vmime/vmime.hpp>

#include <cctype>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>

#include "notify/mail_vmime.h"

namespace lachan::notify {
namespace {

namespace cert = vmime::security::cert;
using Clock = std::chrono::steady_clock;

// vmime polls isTimeOut() while it waits on the socket and resets it after each exchange, so
// the limit applies to every wait, not to the whole session.
class WaitLimit : public vmime::net::timeoutHandler {
 public:
  explicit WaitLimit(std::chrono::milliseconds limit) : limit_(limit), start_(Clock::now()) {}
  bool isTimeOut() override { return Clock::now() - start_ >= limit_; }
  void resetTimeOut() override { start_ = Clock::now(); }
  bool handleTimeOut() override { return false; }  // give up: vmime throws operation_timed_out

 private:
  std::chrono::milliseconds limit_;
  Clock::time_point start_;
};

class WaitLimitFactory : public vmime::net::timeoutHandlerFactory {
 public:
  explicit WaitLimitFactory(std::chrono::milliseconds limit) : limit_(limit) {}
  vmime::shared_ptr<vmime::net::timeoutHandler> create() override { return vmime::make_shared<WaitLimit>(limit_); }

 private:
  std::chrono::milliseconds limit_;
};

// What the server said last and which command we sent last. vmime's SASL code reports a
// rejected AUTH as "all mechanisms failed" without the server's reply, and a socket error
// does not say during which command it happened; the trace answers both.
struct Conversation {
  std::string last_reply;
  std::optional<SmtpStage> last_command;
};

std::optional<SmtpStage> stage_of_verb(std::string command);

class ConversationTracer : public vmime::net::tracer {
 public:
  explicit ConversationTracer(std::shared_ptr<Conversation> c) : c_(std::move(c)) {}
  // Only the verb is kept: AUTH continuation lines carry credentials.
  void traceSend(const vmime::string& line) override {
    if (auto st = stage_of_verb(line.substr(0, line.find(' ')))) c_->last_command = st;
  }
  void traceReceive(const vmime::string& line) override { c_->last_reply = line; }

 private:
  std::shared_ptr<Conversation> c_;
};

class ConversationTracerFactory : public vmime::net::tracerFactory {
 public:
  explicit ConversationTracerFactory(std::shared_ptr<Conversation> c) : c_(std::move(c)) {}
  vmime::shared_ptr<vmime::net::tracer> create(vmime::shared_ptr<vmime::net::service>, const int) override {
    return vmime::make_shared<ConversationTracer>(c_);
  }

 private:
  std::shared_ptr<Conversation> c_;
};

constexpr const char* kSystemCaFile = "/etc/ssl/certs/ca-certificates.crt";

Result<std::vector<vmime::shared_ptr<cert::X509Certificate>>> load_cas(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::invalid_config, "cannot read CA file " + path);
  const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<vmime::shared_ptr<cert::X509Certificate>> out;
  static constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  static constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  // vmime imports one certificate at a time; a CA bundle holds many.
  for (size_t at = pem.find(kBegin); at != std::string::npos; at = pem.find(kBegin, at + 1)) {
    const size_t end = pem.find(kEnd, at);
    if (end == std::string::npos) break;
    const std::string block = pem.substr(at, end + kEnd.size() - at) + "\n";
    if (auto c = cert::X509Certificate::import(reinterpret_cast<const vmime::byte_t*>(block.data()), block.size()))
      out.push_back(c);
  }
  if (out.empty()) return make_error(Errc::invalid_config, "no certificate in CA file " + path);
  return out;
}

bool plausible_address(std::string_view a) {
  const auto at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == a.size()) return false;
  for (const char c : a)
    if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == ',') return false;
  return true;
}

// The reply code at the start of a server reply ("451 4.3.0 try later"), 0 if none.
int reply_code_of(std::string_view response) {
  size_t i = 0;
  while (i < response.size() && std::isspace(static_cast<unsigned char>(response[i]))) ++i;
  if (i + 3 > response.size()) return 0;
  int code = 0;
  for (size_t k = i; k < i + 3; ++k) {
    if (!std::isdigit(static_cast<unsigned char>(response[k]))) return 0;
    code = code * 10 + (response[k] - '0');
  }
  return code >= 200 && code < 600 ? code : 0;
}

std::optional<SmtpStage> stage_of_verb(std::string command) {
  for (auto& c : command) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto starts = [&](std::string_view p) { return command.rfind(p, 0) == 0; };
  if (starts("MAIL")) return SmtpStage::mail_from;
  if (starts("RCPT")) return SmtpStage::rcpt_to;
  if (starts("DATA") || starts("BDAT") || starts(".")) return SmtpStage::data;
  if (starts("EHLO") || starts("HELO")) return SmtpStage::helo;
  if (starts("STARTTLS")) return SmtpStage::starttls;
  if (starts("AUTH")) return SmtpStage::auth;
  if (starts("QUIT")) return SmtpStage::quit;
  return std::nullopt;
}

SmtpStage stage_of_command(const std::string& command) {
  return stage_of_verb(command).value_or(SmtpStage::connect);
}

SmtpError make_smtp_error(SmtpStage stage, int reply, const std::string& detail) {
  SmtpError e;
  e.stage = stage;
  e.reply_code = reply;
  if (reply >= 400 && reply < 500) {
    e.retryable = true;
    e.code = Errc::busy;
  } else if (reply >= 500) {
    e.retryable = false;
    e.code = Errc::denied;
  }
  e.message =
      std::string(smtp_stage_name(stage)) + (reply ? " " + std::to_string(reply) : std::string()) + ": " + detail;
  return e;
}

SmtpError network_error(SmtpStage stage, const std::string& detail) {
  SmtpError e = make_smtp_error(stage, 0, detail);
  e.retryable = true;
  e.code = Errc::io;
  return e;
}

SmtpError config_error(SmtpStage stage, const std::string& detail) {
  SmtpError e = make_smtp_error(stage, 0, detail);
  e.retryable = false;
  e.code = Errc::invalid_config;
  return e;
}

}  // namespace

const char* smtp_stage_name(SmtpStage s) noexcept {
  switch (s) {
    case SmtpStage::config:
      return "config";
    case SmtpStage::connect:
      return "connect";
    case SmtpStage::greeting:
      return "greeting";
    case SmtpStage::helo:
      return "EHLO";
    case SmtpStage::starttls:
      return "STARTTLS";
    case SmtpStage::tls:
      return "TLS";
    case SmtpStage::auth:
      return "AUTH";
    case SmtpStage::mail_from:
      return "MAIL FROM";
    case SmtpStage::rcpt_to:
      return "RCPT TO";
    case SmtpStage::data:
      return "DATA";
    case SmtpStage::quit:
      return "QUIT";
  }
  return "?";
}

SmtpResult send_mail(const SmtpConfig& config, std::string_view envelope_from,
                     const std::vector<std::string>& recipients, std::string_view message) {
  if (config.host.empty()) return config_error(SmtpStage::config, "no SMTP host");
  if (!plausible_address(envelope_from))
    return config_error(SmtpStage::config, "envelope sender is not local@domain: '" + std::string(envelope_from) + "'");
  if (recipients.empty()) return config_error(SmtpStage::config, "no recipient");
  for (const auto& r : recipients)
    if (!plausible_address(r)) return config_error(SmtpStage::config, "recipient is not local@domain: '" + r + "'");

  vmime::shared_ptr<cert::defaultCertificateVerifier> verifier;
  if (config.security != SmtpSecurity::none) {
    auto cas = load_cas(config.ca_file.empty() ? kSystemCaFile : config.ca_file);
    if (!cas.ok()) return config_error(SmtpStage::config, cas.error().message);
    verifier = vmime::make_shared<cert::defaultCertificateVerifier>();
    verifier->setX509RootCAs(*cas);
  }

  detail::ensure_vmime_platform();
  detail::set_thread_helo_name(config.helo_name);
  struct ResetHelo {
    ~ResetHelo() { detail::set_thread_helo_name({}); }
  } reset_helo;

  auto conversation = std::make_shared<Conversation>();
  // Where we are when vmime throws something that does not say (a socket error, a timeout).
  SmtpStage phase = SmtpStage::connect;
  auto stage = [&] { return conversation->last_command.value_or(phase); };
  try {
    auto session = vmime::net::session::create();
    const vmime::utility::url url(config.security == SmtpSecurity::tls ? "smtps" : "smtp", config.host, config.port);
    auto transport = session->getTransport(url);
    transport->setProperty("connection.tls", config.security == SmtpSecurity::starttls);
    transport->setProperty("connection.tls.required", config.security != SmtpSecurity::none);
    if (!config.username.empty()) {
      transport->setProperty("options.need-authentication", true);
      transport->setProperty("auth.username", config.username);
      transport->setProperty("auth.password", config.password);
    } else {
      transport->setProperty("options.need-authentication", false);
    }
    if (verifier) transport->setCertificateVerifier(verifier);
    transport->setTimeoutHandlerFactory(vmime::make_shared<WaitLimitFactory>(config.timeout));
    transport->setTracerFactory(vmime::make_shared<ConversationTracerFactory>(conversation));

    transport->connect();  // greeting, EHLO, STARTTLS, AUTH
    phase = SmtpStage::mail_from;
    vmime::mailboxList to;
    for (const auto& r : recipients) to.appendMailbox(vmime::make_shared<vmime::mailbox>(vmime::emailAddress(r)));
    const std::string bytes(message);
    vmime::utility::inputStreamStringAdapter in(bytes);
    transport->send(vmime::mailbox(vmime::emailAddress(std::string(envelope_from))), to, in, bytes.size());
    phase = SmtpStage::quit;
    try {
      transport->disconnect();
    } catch (const vmime::exception&) {
      // The server accepted the message with its reply to DATA; a failed QUIT changes nothing.
    }
    return {};
  } catch (const vmime::net::smtp::SMTPCommandError& e) {
    return make_smtp_error(stage_of_command(e.command()), e.statusCode() ? e.statusCode() : reply_code_of(e.response()),
                           e.response());
  } catch (const vmime::exceptions::command_error& e) {
    return make_smtp_error(stage_of_command(e.command()), reply_code_of(e.response()), e.response());
  } catch (const vmime::exceptions::authentication_error& e) {
    int code = reply_code_of(e.response());
    std::string detail = e.response();
    if (code == 0 && (code = reply_code_of(conversation->last_reply)) != 0)
      detail += " (" + conversation->last_reply + ")";
    SmtpError err = make_smtp_error(SmtpStage::auth, code, detail);
    if (code == 0) err.code = Errc::denied;
    return err;
  } catch (const vmime::exceptions::authentication_exception& e) {  // no mechanism, no credentials
    SmtpError err = make_smtp_error(SmtpStage::auth, 0, e.what());
    err.code = Errc::denied;
    return err;
  } catch (const vmime::exceptions::connection_greeting_error& e) {
    return make_smtp_error(SmtpStage::greeting, reply_code_of(e.response()), e.response());
  } catch (const vmime::exceptions::operation_timed_out& e) {
    return network_error(stage(), std::string("timed out: ") + e.what());
  } catch (const vmime::exceptions::socket_exception& e) {
    return network_error(stage(), e.what());
  } catch (const cert::certificateException& e) {
    return config_error(SmtpStage::tls, std::string("server certificate: ") + e.what());
  } catch (const vmime::exceptions::tls_exception& e) {
    return config_error(SmtpStage::tls, e.what());
  } catch (const vmime::exceptions::unsupported_option& e) {
    return config_error(stage(), e.what());  // e.g. STARTTLS required but not offered
  } catch (const vmime::exceptions::net_exception& e) {
    return network_error(stage(), std::string(e.name()) + ": " + e.what());
  } catch (const vmime::exception& e) {
    SmtpError err = make_smtp_error(stage(), 0, std::string(e.name()) + ": " + e.what());
    err.code = Errc::internal;
    return err;
  } catch (const std::exception& e) {
    SmtpError err = make_smtp_error(stage(), 0, e.what());
    err.code = Errc::internal;
    return err;
  }
}

}  // namespace lachan::notify
