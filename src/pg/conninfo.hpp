#pragma once
// Builds the libpq keywords for one connection from the options: resolved address, credentials,
// TLS pass-through, keepalives and tcp_user_timeout, and read-only startup options.

#include "pg/pg_connection.hpp"

#include <ucm/core/deadline.hpp>
#include <ucm/core/pg_options.hpp>

#include <asio/awaitable.hpp>

#include <optional>
#include <string>

namespace ucm::pg {

/// What differs between the connections of one endpoint.
struct SessionFlavor {
    std::string application_name{};   ///< "ucm/<mode>/<manager id>"
    bool read_only = false;            ///< open with default_transaction_read_only=on
    std::optional<PgRole> role{};      ///< login role for this ConnectionMode; unset: options' user
};

/// The keywords for `host`. Resolves a host name to an address first (so PQconnectStart never
/// blocks in getaddrinfo; the caller decides where that resolution may block) and keeps the name
/// as `host` for TLS verification.
///
/// Errors: ConnectionFailed naming the endpoint when the name does not resolve by `deadline`.
ConnectSpec make_connect_spec(const PgOptions& options, const Endpoint& host, const SessionFlavor& flavor,
                              Deadline deadline);

/// The same with the address already known: `address` is an IP literal or a socket directory.
ConnectSpec make_connect_spec_for(const PgOptions& options, const Endpoint& host, const SessionFlavor& flavor,
                                  const std::string& address);

/// make_connect_spec() for coroutines: a host name is resolved by Asio's resolver (off the
/// executor), within `deadline`. Same errors.
asio::awaitable<ConnectSpec> async_make_connect_spec(const PgOptions& options, const Endpoint& host,
                                                     const SessionFlavor& flavor, Deadline deadline);

}  // namespace ucm::pg
