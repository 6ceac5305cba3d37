#include "core/redis_url.hpp"

#include "core/percent_decode.hpp"
#include "core/value_parse.hpp"

#include <ucm/core/error.hpp>
#include <ucm/core/redis_options.hpp>

#include <algorithm>
#include <limits>

namespace ucm::detail {
namespace {

constexpr std::string_view kScheme = "redis://";

std::string decode(std::string_view text, const std::string& field, std::string_view part) {
    std::optional<std::string> decoded = percent_decode(text);
    if (!decoded) throw ConfigInvalid(field, "malformed percent-encoding in the " + std::string{part});
    return std::move(*decoded);
}

}  // namespace

RedisUrl parse_redis_url(std::string_view url, const std::string& field) {
    if (url.starts_with("rediss://")) {
        throw ConfigInvalid(field,
                            "rediss:// (TLS) is impossible: hiredis 0.14 has no TLS support; "
                            "use redis:// on a trusted network or a TLS tunnel");
    }
    if (!url.starts_with(kScheme)) throw ConfigInvalid(field, "must start with redis://");
    std::string_view rest = url.substr(kScheme.size());
    if (rest.find_first_of("?#") != std::string_view::npos) {
        throw ConfigInvalid(field, "query strings and fragments are not supported");
    }
    const std::size_t slash = std::min(rest.find('/'), rest.size());
    const std::string_view authority = rest.substr(0, slash);

    RedisUrl result;
    const std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        const std::size_t colon = userinfo.find(':');
        std::string user = decode(userinfo.substr(0, colon), field, "user name");
        if (!user.empty()) result.user = std::move(user);
        if (colon != std::string_view::npos) {
            result.password = Secret{decode(userinfo.substr(colon + 1), field, "password")};
        }
    }
    const std::string_view hostport = authority.substr(at == std::string_view::npos ? 0 : at + 1);
    result.endpoint = parse_endpoint(hostport, kDefaultRedisPort, field, Quote::Never);

    if (slash < rest.size()) {
        const std::string_view db_text = rest.substr(slash + 1);
        std::uint64_t db = 0;
        if (!db_text.empty()) {
            if (!parse_u64(db_text, db) || db > std::numeric_limits<std::uint32_t>::max()) {
                throw ConfigInvalid(field,
                                    "the path must be a database number (digits only); a password "
                                    "containing '/' must be percent-encoded");
            }
            result.db = static_cast<std::uint32_t>(db);
        }
    }
    return result;
}

std::vector<Endpoint> parse_sentinel_list(std::string_view text, const std::string& field) {
    return parse_endpoint_list(text, kDefaultSentinelPort, field, Quote::Allowed);
}

}  // namespace ucm::detail
