// placeholder
namespace lachan::io { int placeholder_ = 0; }
