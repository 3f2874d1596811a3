// Sending a composed message over SMTP (vmime's SMTP transport: STARTTLS, implicit TLS, SASL).
// vmime stays inside the .cpp file.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace lachan::notify {

enum class SmtpSecurity {
  none,      // plain text: only for a relay on the same host or in tests
  starttls,  // STARTTLS required; the session fails if the server does not offer it
  tls,       // implicit TLS (SMTPS, port 465)
};

struct SmtpConfig {
  std::string host;
  uint16_t port = 587;
  SmtpSecurity security = SmtpSecurity::starttls;
  std::string username;  // empty: no AUTH
  std::string password;
  std::chrono::milliseconds timeout{30000};  // per network wait, not for the whole session
  std::string helo_name;                     // EHLO argument; empty: this host's name
  // PEM file of the certificate authorities to trust instead of the system ones (a private CA,
  // or the self-signed certificate of a test server). Empty: /etc/ssl/certs/ca-certificates.crt.
  std::string ca_file;
};

// Where the session stopped. reply_code is the server's SMTP reply, 0 when there was none
// (network, TLS, timeout).
enum class SmtpStage { config, connect, greeting, helo, starttls, tls, auth, mail_from, rcpt_to, data, quit };
const char* smtp_stage_name(SmtpStage s) noexcept;

struct SmtpError {
  SmtpStage stage = SmtpStage::connect;
  int reply_code = 0;
  // True for 4xx replies, network errors and timeouts: the same message may be sent again later.
  // False for 5xx replies, authentication, TLS verification and configuration errors.
  bool retryable = false;
  // busy (4xx), io (network, timeout), denied (5xx, authentication rejected),
  // invalid_config (TLS not offered or not trusted, bad address, CA file), internal (other).
  Errc code = Errc::internal;
  std::string message;  // stage, reply code and the server's text, for logs
};

class [[nodiscard]] SmtpResult {
 public:
  SmtpResult() = default;
  SmtpResult(SmtpError e) : error_(std::move(e)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  const SmtpError& error() const { return *error_; }  // only when !ok()

 private:
  std::optional<SmtpError> error_;
};

// One SMTP session: connect, EHLO, STARTTLS/AUTH as configured, MAIL FROM, RCPT TO for every
// recipient, DATA with `message` (CRLF line ends, dot-stuffed by vmime), QUIT. A recipient that
// the server refuses fails the whole send (nothing is delivered), with that recipient's reply.
// Blocking. Each call has its own vmime session, so calls from several threads should not
// interfere (not yet tested).
SmtpResult send_mail(const SmtpConfig& config, std::string_view envelope_from,
                     const std::vector<std::string>& recipients, std::string_view message);

}  // namespace lachan::notify
