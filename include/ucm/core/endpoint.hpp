#pragma once

#include <cstdint>
#include <string>

namespace ucm {

/// A server address: host name or IP literal plus TCP port. Never carries credentials, so it may
/// appear in any message, log line or metric label.
///
/// Thread safety: a value type; const access is safe to share.
struct Endpoint {
    std::string host{};      ///< DNS name, IPv4 or IPv6 literal (IPv6 without brackets); non-empty
    std::uint16_t port = 0;  ///< TCP port, 1..65535 (0 only while unset; validation rejects it)

    /// "host:port", or "[v6]:port" for an IPv6 literal, so the text parses back unambiguously.
    [[nodiscard]] std::string to_string() const {
        const bool v6 = host.find(':') != std::string::npos;
        return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
    }

    bool operator==(const Endpoint&) const = default;
};

}  // namespace ucm
