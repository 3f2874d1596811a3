// placeholder until the detector lands
namespace lachan::detect { int placeholder_ = 0; }
