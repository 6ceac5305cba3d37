// The Asio driver of PgPipeline: pg_pipeline.cpp's blocking loop, waiting with async_wait_fd.
#include "pg/pg_pipeline.hpp"
#include "pg/pg_wait_asio.hpp"

namespace ucm::pg {

asio::awaitable<void> async_run_pipeline(PgPipeline& pipeline, Deadline deadline) {
    PgConnection& conn = pipeline.connection();
    for (IoWait wait = pipeline.step(); wait != IoWait::none; wait = pipeline.step()) {
        bool is_ready = false;
        try {
            is_ready = co_await async_wait_fd(conn.socket(), wait, deadline);
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
