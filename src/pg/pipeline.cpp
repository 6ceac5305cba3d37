#include <ucm/core/error.hpp>
#include <ucm/pg/pipeline.hpp>

namespace ucm::pg {

StatementOutcome StatementOutcome::success(Result result) {
    StatementOutcome outcome;
    outcome.result_ = std::move(result);
    return outcome;
}

StatementOutcome StatementOutcome::failure(std::exception_ptr error) {
    StatementOutcome outcome;
    // The properties are read once here, so callers can inspect them without a rethrow each.
    try {
        std::rethrow_exception(error);
    } catch (const Error& e) {
        outcome.code_ = e.code();
        outcome.sqlstate_ = e.sqlstate();
        outcome.message_ = e.what();
    } catch (const std::exception& e) {
        outcome.code_ = Errc::query_failed;
        outcome.message_ = e.what();
    }
    outcome.error_ = std::move(error);
    return outcome;
}

const Result& StatementOutcome::result() const {
    if (error_) std::rethrow_exception(error_);
    return result_;
}

}  // namespace ucm::pg
