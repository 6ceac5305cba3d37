#include <ucm/redis/connection.hpp>

#include "redis/argv_views.hpp"
#include "redis/redis_error.hpp"
#include "redis/redis_pooled_connection.hpp"

#include <fmt/format.h>

namespace ucm::redis {

Connection::Connection(pool::Lease lease, std::shared_ptr<const LeaseContext> context,
                       std::uint64_t generation) noexcept
    : lease_(std::move(lease)), context_(std::move(context)), generation_(generation) {}

const std::string& Connection::endpoint() const noexcept {
    static const std::string none;
    if (lease_) return lease_.as<RedisPooledConnection>().connection().endpoint();
    return context_ ? context_->endpoint : none;
}

void Connection::report_and_throw(const Error& e) {
    if (e.poisons_connection()) lease_.mark_broken();
    if (context_ && context_->on_error) {
        try {
            context_->on_error(e);
        } catch (...) {  // the hook must not throw; if it does, the caller still gets the real error
        }
    }
    throw;  // rethrows the Error being handled (e is the caught object), keeping its dynamic type
}

void Connection::check_usable() {
    if (!lease_) {
        throw ConnectionFailed({.message = "this redis::Connection holds no lease (moved from or released)",
                                .retriable = false});
    }
    if (!context_->generation || context_->generation->load(std::memory_order_acquire) == generation_) return;
    // The master moved since this connection was made: sending could write to a demoted master
    // that still answers +OK (ENVIRONMENT gotcha 7).
    lease_.mark_broken();
    throw ConnectionFailed({.message = fmt::format("{}: endpoint changed role since this connection was leased; "
                                                   "nothing was sent; retry on a new connection",
                                                   endpoint()),
                            .retriable = true,
                            .poisons_connection = true,
                            .endpoint = endpoint()});
}

bool Connection::may_write() const noexcept { return context_ && context_->mode != ConnectionMode::ReadOnly; }

std::vector<Reply> Connection::run(Argvs commands, Deadline deadline) {
    try {
        // The fence first, then the generation: a failover that ends while we wait switches the
        // master, and this connection must then not send at all.
        if (may_write() && lease_ && context_->await_writable) context_->await_writable(deadline);
        check_usable();
        return lease_.as<RedisPooledConnection>().connection().exchange(commands, deadline, may_write());
    } catch (const Error& e) {
        report_and_throw(e);
    }
}

Reply Connection::single_reply(std::vector<Reply> replies) {
    Reply& reply = replies.at(0);
    if (!reply.is_error()) return std::move(reply);
    try {
        throw_redis_error(classify_reply_error(reply.error_message()), reply.error_message(), endpoint());
    } catch (const Error& e) {
        report_and_throw(e);
    }
}

Reply Connection::command_argv(std::span<const std::string_view> argv, Deadline deadline) {
    const std::array<std::span<const std::string_view>, 1> one{argv};
    return single_reply(run(one, deadline));
}

Reply Connection::durable_argv(std::span<const std::string_view> argv, Durability durability, Deadline deadline) {
    if (durability.replicas < 1 || durability.timeout.count() <= 0) {
        throw ConfigInvalid("redis.durable", fmt::format("Durability needs replicas >= 1 and a timeout > 0 ms (got {} "
                                                         "replicas, {} ms)",
                                                         durability.replicas, durability.timeout.count()));
    }
    const std::string replicas = std::to_string(durability.replicas);
    const std::string timeout = std::to_string(durability.timeout.count());
    const std::array<std::string_view, 3> wait{"WAIT", replicas, timeout};
    const std::array<std::span<const std::string_view>, 2> both{argv, wait};
    std::vector<Reply> replies = run(both, deadline);
    try {
        if (replies[0].is_error()) {
            throw_redis_error(classify_reply_error(replies[0].error_message()), replies[0].error_message(), endpoint());
        }
        if (replies[1].is_error()) {
            throw InDoubt({.message = fmt::format("{}: the write was applied, but WAIT failed: {}", endpoint(),
                                                  replies[1].error_message()),
                           .retriable = false,
                           .endpoint = endpoint()});
        }
        const std::int64_t confirmed = replies[1].as_integer();
        if (confirmed < durability.replicas) {
            throw InDoubt({.message = fmt::format("{}: the write was applied on the master, but only {} of {} "
                                                  "replica(s) confirmed it within {} ms; it may not survive a failover",
                                                  endpoint(), confirmed, durability.replicas,
                                                  durability.timeout.count()),
                           .retriable = false,
                           .endpoint = endpoint()});
        }
    } catch (const Error& e) {
        report_and_throw(e);
    }
    return std::move(replies[0]);
}

std::vector<Reply> Connection::pipeline(std::span<const Command> commands) {
    return pipeline(commands, deadline_after(command_timeout()));
}

std::vector<Reply> Connection::pipeline(std::span<const Command> commands, Deadline deadline) {
    const ArgvViews views(commands);
    return run(views.argvs(), deadline);
}

}  // namespace ucm::redis
