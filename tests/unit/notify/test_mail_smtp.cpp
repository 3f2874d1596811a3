// send_mail against a real SMTP server: aiosmtpd (smtp_sink.py) started on 127.0.0.1 by the
// fixture, with STARTTLS on a certificate made here, AUTH, and a recipient it defers with 451.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "notify/mail_compose.h"
#include "notify/mail_parse.h"
#include "notify/mail_smtp.h"

namespace fs = std::filesystem;
using namespace lachan::notify;
using lachan::Errc;

namespace {

const std::string kSubject = "Cảnh báo an ninh mạng: mã độc tống tiền tại Sở Y tế Hà Nội";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "lachan-smtp-XXXXXX").string();
    if (::mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A self-signed certificate for 127.0.0.1 (EC P-256: quick to generate).
bool make_cert(const fs::path& dir, const std::string& name) {
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
      " -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
      " -keyout '" +
      (dir / (name + ".key")).string() + "' -out '" + (dir / (name + ".pem")).string() + "' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0 && fs::exists(dir / (name + ".pem"));
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool aiosmtpd_available() {
  return ::access("/usr/bin/python3", X_OK) == 0 &&
         std::system("/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1") == 0;
}

// aiosmtpd in a child process, storing what it receives under dir()/out.
class SmtpSink {
 public:
  explicit SmtpSink(std::vector<std::string> args) {
    fs::create_directories(dir_.path() / "out");
    int fds[2];
    if (::pipe(fds) != 0) return;
    const std::string script = std::string(LACHAN_SOURCE_DIR) + "/tests/unit/notify/smtp_sink.py";
    std::vector<std::string> argv = {"/usr/bin/python3", script, (dir_.path() / "out").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      ::execv(cargv[0], cargv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    // The script prints its port once it listens; wait for that line, not for a fixed time.
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buf[64];
      const ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;  // the child died
      line.append(buf, static_cast<size_t>(n));
    }
    ::close(fds[0]);
    port_ = static_cast<uint16_t>(std::atoi(line.c_str()));
    if (port_ != 0 && !accepts()) port_ = 0;
  }
  ~SmtpSink() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  uint16_t port() const { return port_; }
  const fs::path& dir() const { return dir_.path(); }
  fs::path out() const { return dir_.path() / "out"; }
  size_t stored() const {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(out())) n += e.path().extension() == ".json";
    return n;
  }

 private:
  bool accepts() const {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(s);
    return ok;
  }

  TempDir dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

std::string test_message() {
  OutgoingMail m;
  m.from = {"Trung tâm Giám sát", "canhbao@ncsc.gov.vn"};
  m.to = {{"Sở Y tế Hà Nội", "soyte@hanoi.gov.vn"}};
  m.subject = kSubject;
  m.text = "Cảnh báo an ninh mạng.\n.\n.. hai chấm\n";  // a lone dot must survive dot-stuffing
  m.headers = {{"Message-ID", "<LC-2026-000123.1@lachan.test>"}};
  auto r = compose_mail(m);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : std::string();
}

SmtpConfig plain_config(uint16_t port) {
  SmtpConfig c;
  c.host = "127.0.0.1";
  c.port = port;
  c.security = SmtpSecurity::none;
  c.timeout = std::chrono::seconds(10);
  c.helo_name = "lachan.test";
  return c;
}

boost::json::object envelope(const fs::path& p) {
  return boost::json::parse(slurp(p)).as_object();
}

void expect_delivered(const SmtpSink& sink, const std::vector<std::string>& rcpts) {
  ASSERT_EQ(sink.stored(), 1u);
  const auto env = envelope(sink.out() / "1.json");
  EXPECT_EQ(env.at("mail_from").as_string(), "bounce@ncsc.gov.vn");
  std::vector<std::string> got;
  for (const auto& r : env.at("rcpt_tos").as_array()) got.emplace_back(r.as_string());
  EXPECT_EQ(got, rcpts);
  EXPECT_EQ(env.at("helo").as_string(), "lachan.test");
  auto parsed = parse_mail(slurp(sink.out() / "1.eml"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->subject, kSubject);
  EXPECT_EQ(parsed->text, "Cảnh báo an ninh mạng.\n.\n.. hai chấm\n");
  EXPECT_EQ(parsed->message_id, "LC-2026-000123.1@lachan.test");
}

class MailSmtp : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!aiosmtpd_available()) GTEST_SKIP() << "/usr/bin/python3 with aiosmtpd is not available";
  }
};

}  // namespace

TEST_F(MailSmtp, PlainDelivery) {
  SmtpSink sink({});
  ASSERT_NE(sink.port(), 0);
  auto r = send_mail(plain_config(sink.port()), "bounce@ncsc.gov.vn", {"soyte@hanoi.gov.vn", "it@hanoi.gov.vn"},
                     test_message());
  ASSERT_TRUE(r.ok()) << r.error().message;
  expect_delivered(sink, {"soyte@hanoi.gov.vn", "it@hanoi.gov.vn"});
  EXPECT_FALSE(envelope(sink.out() / "1.json").at("tls").as_bool());
}

TEST_F(MailSmtp, StartTlsWithTrustedSelfSignedCertificate) {
  TempDir certs;
  if (!make_cert(certs.path(), "server")) GTEST_SKIP() << "the openssl command is not available";
  SmtpSink sink({"--starttls", (certs.path() / "server.pem").string(), (certs.path() / "server.key").string()});
  ASSERT_NE(sink.port(), 0);
  SmtpConfig c = plain_config(sink.port());
  c.security = SmtpSecurity::starttls;
  c.ca_file = (certs.path() / "server.pem").string();
  auto r = send_mail(c, "bounce@ncsc.gov.vn", {"soyte@hanoi.gov.vn"}, test_message());
  ASSERT_TRUE(r.ok()) << r.error().message;
  expect_delivered(sink, {"soyte@hanoi.gov.vn"});
  EXPECT_TRUE(envelope(sink.out() / "1.json").at("tls").as_bool());
}

TEST_F(MailSmtp, StartTlsWithUntrustedCertificateIsPermanent) {
  TempDir certs;
  if (!make_cert(certs.path(), "server") || !make_cert(certs.path(), "other"))
    GTEST_SKIP() << "the openssl command is not available";
  SmtpSink sink({"--starttls", (certs.path() / "server.pem").string(), (certs.path() / "server.key").string()});
  ASSERT_NE(sink.port(), 0);
  SmtpConfig c = plain_config(sink.port());
  c.security = SmtpSecurity::starttls;
  for (const std::string& ca : {(certs.path() / "other.pem").string(), std::string()}) {  // "": system CAs
    SCOPED_TRACE(ca.empty() ? "system CAs" : ca);
    if (ca.empty() && !fs::exists("/etc/ssl/certs/ca-certificates.crt")) continue;
    c.ca_file = ca;
    auto r = send_mail(c, "bounce@ncsc.gov.vn", {"soyte@hanoi.gov.vn"}, test_message());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().stage, SmtpStage::tls) << r.error().message;
    EXPECT_EQ(r.error().reply_code, 0);
    EXPECT_EQ(r.error().code, Errc::invalid_config);
    EXPECT_FALSE(r.error().retryable);
  }
  EXPECT_EQ(sink.stored(), 0u);
}

// No fallback to plain text when the server cannot do TLS. aiosmtpd answers STARTTLS with 454,
// which RFC 3207 calls temporary, so it is retryable like any other 4xx.
TEST_F(MailSmtp, StartTlsRequiredButNotOfferedNeverSendsInClear) {
  SmtpSink sink({});
  ASSERT_NE(sink.port(), 0);
  TempDir certs;
  if (!make_cert(certs.path(), "server")) GTEST_SKIP() << "the openssl command is not available";
  SmtpConfig c = plain_config(sink.port());
  c.security = SmtpSecurity::starttls;
  c.ca_file = (certs.path() / "server.pem").string();
  auto r = send_mail(c, "bounce@ncsc.gov.vn", {"soyte@hanoi.gov.vn"}, test_message());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().stage, SmtpStage::starttls) << r.error().message;
  EXPECT_EQ(r.error().reply_code, 454);
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(sink.stored(), 0u);
}

TEST_F(MailSmtp, AuthAcceptedAndWrongPasswordIsPermanent) {
  SmtpSink sink({"--auth", "lachan:s3cret-mật-khẩu"});
  ASSERT_NE(sink.port(), 0);
  SmtpConfig c = plain_config(sink.port());
  c.username = "lachan";
  c.password = "wrong";
  auto bad = send_mail(c, "bounce@ncsc.gov.vn", {"soyte@hanoi.gov.vn"}, test_message());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().stage, SmtpStage::auth) << bad.error().message;
  EXPECT_EQ(bad.error().reply_code, 535) << bad.error().message;
  EXPECT_EQ(bad.error().code, Errc::denied);
  EXPECT_FALSE(bad.error().retryable);
  EXPECT_EQ(sink.stored(), 0u);

  c.password = "s3cret-mật-khẩu";
  auto good = send_mail(c, "bounce@ncsc.gov.vn", {"soyte@hanoi.gov.vn"}, test_message());
  ASSERT_TRUE(good.ok()) << good.error().message;
  expect_delivered(sink, {"soyte@hanoi.gov.vn"});
  EXPECT_TRUE(envelope(sink.out() / "1.json").at("auth").as_bool());

  // Without credentials the server refuses MAIL FROM (530): permanent.
  c.username.clear();
  auto none = send_mail(c, "bounce@ncsc.gov.vn", {"soyte@hanoi.gov.vn"}, test_message());
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().stage, SmtpStage::mail_from) << none.error().message;
  EXPECT_EQ(none.error().reply_code, 530);
  EXPECT_FALSE(none.error().retryable);
}

TEST_F(MailSmtp, AuthOverStartTls) {
  TempDir certs;
  if (!make_cert(certs.path(), "server")) GTEST_SKIP() << "the openssl command is not available";
  SmtpSink sink({"--auth", "lachan:pw", "--starttls", (certs.path() / "server.pem").string(),
                 (certs.path() / "server.key").string()});
  ASSERT_NE(sink.port(), 0);
  SmtpConfig c = plain_config(sink.port());
  c.security = SmtpSecurity::starttls;
  c.ca_file = (certs.path() / "server.pem").string();
  c.username = "lachan";
  c.password = "pw";
  auto r = send_mail(c, "bounce@ncsc.gov.vn", {"soyte@hanoi.gov.vn"}, test_message());
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto env = envelope(sink.out() / "1.json");
  EXPECT_TRUE(env.at("tls").as_bool());
  EXPECT_TRUE(env.at("auth").as_bool());
}

TEST_F(MailSmtp, DeferredRecipientIsRetryable) {
  SmtpSink sink({"--tempfail-rcpt", "full@hanoi.gov.vn"});
  ASSERT_NE(sink.port(), 0);
  auto r = send_mail(plain_config(sink.port()), "bounce@ncsc.gov.vn", {"soyte@hanoi.gov.vn", "full@hanoi.gov.vn"},
                     test_message());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().stage, SmtpStage::rcpt_to) << r.error().message;
  EXPECT_EQ(r.error().reply_code, 451);
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(r.error().code, Errc::busy);
  EXPECT_EQ(sink.stored(), 0u);  // one refused recipient stops the whole send
}

TEST_F(MailSmtp, RejectedRecipientIsPermanent) {
  SmtpSink sink({"--reject-rcpt", "nobody@hanoi.gov.vn"});
  ASSERT_NE(sink.port(), 0);
  auto r = send_mail(plain_config(sink.port()), "bounce@ncsc.gov.vn", {"nobody@hanoi.gov.vn"}, test_message());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().stage, SmtpStage::rcpt_to) << r.error().message;
  EXPECT_EQ(r.error().reply_code, 550);
  EXPECT_FALSE(r.error().retryable);
  EXPECT_EQ(r.error().code, Errc::denied);
  EXPECT_EQ(sink.stored(), 0u);
}

TEST_F(MailSmtp, ImplicitTls) {
  TempDir certs;
  if (!make_cert(certs.path(), "server")) GTEST_SKIP() << "the openssl command is not available";
  SmtpSink sink({"--tls", (certs.path() / "server.pem").string(), (certs.path() / "server.key").string()});
  ASSERT_NE(sink.port(), 0);
  SmtpConfig c = plain_config(sink.port());
  c.security = SmtpSecurity::tls;
  c.ca_file = (certs.path() / "server.pem").string();
  auto r = send_mail(c, "bounce@ncsc.gov.vn", {"soyte@hanoi.gov.vn"}, test_message());
  ASSERT_TRUE(r.ok()) << r.error().message;
  expect_delivered(sink, {"soyte@hanoi.gov.vn"});
}

TEST(MailSmtpNetwork, ConnectionRefusedIsRetryable) {
  // A port that was free a moment ago: nothing listens there.
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(s);
  auto r = send_mail(plain_config(ntohs(a.sin_port)), "bounce@ncsc.gov.vn", {"soyte@hanoi.gov.vn"},
                     "Subject: x\r\n\r\nx\r\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().stage, SmtpStage::connect) << r.error().message;
  EXPECT_EQ(r.error().reply_code, 0);
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(r.error().code, Errc::io);
}

TEST(MailSmtpNetwork, SilentServerTimesOut) {
  // Listening but never greeting: the kernel completes the handshake, nobody answers.
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(s, 4), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  SmtpConfig c = plain_config(ntohs(a.sin_port));
  c.timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  auto r = send_mail(c, "bounce@ncsc.gov.vn", {"soyte@hanoi.gov.vn"}, "Subject: x\r\n\r\nx\r\n");
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(s);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().retryable) << r.error().message;
  EXPECT_EQ(r.error().code, Errc::io);
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(MailSmtpConfig, BadInputIsAConfigError) {
  SmtpConfig c = plain_config(25);
  EXPECT_EQ(send_mail(c, "not-an-address", {"a@b.vn"}, "x").error().code, Errc::invalid_config);
  EXPECT_EQ(send_mail(c, "a@b.vn", {}, "x").error().code, Errc::invalid_config);
  EXPECT_EQ(send_mail(c, "a@b.vn", {"a@b.vn>\r\nRCPT TO:<evil@x.vn"}, "x").error().stage, SmtpStage::config);
  c.security = SmtpSecurity::starttls;
  c.ca_file = "/nonexistent/ca.pem";
  auto r = send_mail(c, "a@b.vn", {"a@b.vn"}, "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_config);
  EXPECT_FALSE(r.error().retryable);
}
