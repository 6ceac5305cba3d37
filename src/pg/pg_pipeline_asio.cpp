// The Asio driver of PgPipeline: pg_pipeline.cpp's blocking loop, waiting with async_wait_conn.
#include "pg/pg_pipeline.hpp"
#include "pg/pg_wait_asio.hpp"

#include <asio/this_coro.hpp>

namespace ucm::pg {

asio::awaitable<void> async_run_pipeline(PgPipeline& pipeline, Deadline deadline) {
    PgConnection& conn = pipeline.connection();
    asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
    for (IoWait wait = pipeline.step(); wait != IoWait::none; wait = pipeline.step()) {
        bool is_ready = false;
        try {
            is_ready = co_await async_wait_conn(conn, wait, timer);
        } catch (...) {
            // Cancelled mid-pipeline: the server must not keep running statements for nobody, and
            // a connection with unread results cannot be reused.
            conn.cancel_in_background();
            conn.close();
            throw;
        }
        if (!is_ready) deadline_passed(conn, OnDeadline::cancel_and_close);
    }
}

}  // namespace ucm::pg
