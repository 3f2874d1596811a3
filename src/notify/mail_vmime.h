// Internal to notify: the one place that sets up vmime's process-wide platform handler.
#pragma once

#include <string>

namespace lachan::notify::detail {

// Installs (once) the vmime platform handler every mail_* function needs. vmime keeps one
// handler per process; ours is the POSIX one with a per-thread EHLO name.
void ensure_vmime_platform();

// The name this thread's next SMTP EHLO sends (vmime asks the platform handler for "the host
// name" and offers no per-transport setting). Empty: the real host name.
void set_thread_helo_name(std::string name);

}  // namespace lachan::notify::detail
