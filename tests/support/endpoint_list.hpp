#pragma once
// "host:port,host:port" (the sandbox's UCM_TEST_REDIS_SENTINELS) as endpoints.

#include <ucm/core/endpoint.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace ucm::test {

inline std::vector<Endpoint> endpoint_list(const std::string& text) {
    std::vector<Endpoint> out;
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        const auto colon = item.rfind(':');
        out.push_back({item.substr(0, colon), static_cast<std::uint16_t>(std::stoi(item.substr(colon + 1)))});
    }
    return out;
}

}  // namespace ucm::test
