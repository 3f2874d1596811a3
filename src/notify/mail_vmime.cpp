#include "notify/mail_vmime.h"

#include <vmime/platforms/posix/posixHandler.hpp>
#include <vmime/vmime.hpp>

#include <mutex>

namespace lachan::notify::detail {
namespace {

thread_local std::string t_helo_name;

class HeloNamingHandler : public vmime::platforms::posix::posixHandler {
 public:
  const vmime::string getHostName() const override {
    return t_helo_name.empty() ? vmime::platforms::posix::posixHandler::getHostName() : t_helo_name;
  }
};

}  // namespace

void ensure_vmime_platform() {
  static std::once_flag once;
  std::call_once(once, [] { vmime::platform::setHandler<HeloNamingHandler>(); });
}

void set_thread_helo_name(std::string name) {
  t_helo_name = std::move(name);
}

}  // namespace lachan::notify::detail
