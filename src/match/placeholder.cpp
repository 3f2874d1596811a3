// placeholder until the matcher lands
namespace lachan::match { int placeholder_ = 0; }
