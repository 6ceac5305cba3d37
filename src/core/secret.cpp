#include <ucm/core/secret.hpp>

#include <ostream>

namespace ucm {

// Out of line so every stream insertion of a Secret, in any binary, goes through this one place.
std::ostream& operator<<(std::ostream& os, const Secret& /*secret*/) { return os << Secret::redacted(); }

}  // namespace ucm
