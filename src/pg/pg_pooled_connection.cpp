#include "pg/pg_pooled_connection.hpp"

#include "pg/pg_wait_poll.hpp"

namespace ucm::pg {

bool PgPooledConnection::is_alive() noexcept {
    try {
        return conn_.is_alive_and_idle();
    } catch (...) {
        return false;
    }
}

bool PgPooledConnection::ping(Deadline deadline) noexcept {
    try {
        exec_simple_blocking(conn_, "", deadline);  // an empty query: one round trip, no parsing
        return conn_.tx_status() == PgConnection::TxStatus::idle;
    } catch (...) {
        return false;
    }
}

pool::ResetResult PgPooledConnection::reset(Deadline deadline) noexcept {
    conn_.unwatch();  // the lease's io_context may be gone before the connection is leased again
    try {
        if (conn_.is_bad()) return pool::ResetResult::MustClose;
        switch (conn_.tx_status()) {
            case PgConnection::TxStatus::idle:
                break;
            case PgConnection::TxStatus::in_transaction:
            case PgConnection::TxStatus::in_error:
                exec_simple_blocking(conn_, "ROLLBACK", deadline);
                break;
            default:  // a command still running, or a state libpq cannot name: never pool it
                return pool::ResetResult::MustClose;
        }
        if (conn_.take_listening() && !policy_.discard_all) exec_simple_blocking(conn_, "UNLISTEN *", deadline);
        if (policy_.discard_all) {
            exec_simple_blocking(conn_, "DISCARD ALL", deadline);
            conn_.forget_statements();
        } else if (auto sql = conn_.take_deallocations(); !sql.empty()) {
            exec_simple_blocking(conn_, sql, deadline);
        }
        return conn_.tx_status() == PgConnection::TxStatus::idle ? pool::ResetResult::Clean
                                                                 : pool::ResetResult::MustClose;
    } catch (...) {
        return pool::ResetResult::MustClose;
    }
}

bool PgPooledConnection::reset_is_free() noexcept {
    return !policy_.discard_all && !conn_.is_bad() && conn_.tx_status() == PgConnection::TxStatus::idle &&
           !conn_.cleanup_pending();
}

void PgPooledConnection::close() noexcept { conn_.close(); }

}  // namespace ucm::pg
