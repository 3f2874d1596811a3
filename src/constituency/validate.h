// Consistency of a whole set of organisations against the reference lists. Every problem is
// reported, in org order, each naming the org (its index in the set and its id) and the field.
#pragma once

#include <vector>

#include "constituency/problem.h"
#include "constituency/reference.h"
#include "store/model.h"

namespace lachan::constituency {

// Checks, with the code each problem carries:
// - malformed: id not a slug ([a-z0-9][a-z0-9._-]*, at most 64), empty name, kind out of range,
//   a network that is not CIDR or has host bits set, a domain or host not in normal form
//   (syntax.h: lowercase, no trailing dot; domains need two labels), a contact with neither
//   name nor e-mail, an e-mail without a single '@';
// - conflict: an id, network prefix, domain, host or AS number declared twice (by one org or
//   two), more than one national centre, two provincial units for one province;
// - not_found: a parent, IT provider, province or sector that does not exist;
// - invalid_config: no national centre, a national centre with a parent, a cycle of parents,
//   criticality outside 1..5, a provincial unit without province, a sector team without sector.
std::vector<Problem> validate(const std::vector<store::Organisation>& orgs, const Reference& ref);

}  // namespace lachan::constituency
