#pragma once
// A batch of statements sent in libpq pipeline mode: one round trip for all of them
// (Connection::execute_pipeline), one outcome back per statement.

#include <ucm/core/errc.hpp>
#include <ucm/export.hpp>
#include <ucm/pg/param.hpp>
#include <ucm/pg/result.hpp>

#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace ucm::pg {

/// How the statements of a pipeline relate to each other.
enum class PipelineMode : std::uint8_t {
    /// A Sync after each statement: each one commits on its own (autocommit, unless the lease is
    /// inside a transaction), and one failure does not affect the others.
    Independent,
    /// One Sync at the end: all statements run in one implicit transaction. The first failure
    /// rolls everything back; the statements after it are not run and report
    /// Errc::pipeline_aborted.
    Atomic,
};

/// The statements of one pipeline, in order; parameters are encoded as `Connection::execute` does.
///
/// Thread safety: a value type; not thread-safe while being built.
/// @code
///   ucm::pg::Pipeline batch;
///   for (auto id : ids) batch.add("INSERT INTO seen (id) VALUES ($1)", id);
///   auto outcomes = conn.execute_pipeline(batch, ucm::pg::PipelineMode::Atomic, ucm::deadline_after(5s));
/// @endcode
class Pipeline {
  public:
    struct Statement {
        std::string sql{};            ///< one statement (no `;`-separated lists: extended protocol)
        std::vector<Param> params{};  ///< $1, $2, ...
    };

    /// Appends a statement with typed parameters ($1, $2, ...).
    template <class... Args>
    Pipeline& add(std::string_view sql, const Args&... args) {
        return add_params(sql, params(args...));
    }
    /// Appends a statement with parameters already encoded.
    Pipeline& add_params(std::string_view sql, std::vector<Param> encoded) {
        statements_.push_back({.sql = std::string(sql), .params = std::move(encoded)});
        return *this;
    }

    [[nodiscard]] std::size_t size() const noexcept { return statements_.size(); }
    [[nodiscard]] bool empty() const noexcept { return statements_.empty(); }
    [[nodiscard]] std::span<const Statement> statements() const noexcept { return statements_; }
    void clear() noexcept { statements_.clear(); }

  private:
    std::vector<Statement> statements_;
};

/// What became of one statement of a pipeline: its Result, or the typed error it would have thrown
/// through `Connection::execute` (QueryFailed with sqlstate(), Error with read_only_violation, ...),
/// or an Error with Errc::pipeline_aborted when an earlier statement of an Atomic pipeline failed.
///
/// Thread safety: immutable, safe to share.
class UCM_EXPORT StatementOutcome {
  public:
    static StatementOutcome success(Result result);
    /// `error` must hold a ucm::Error (or a subclass).
    static StatementOutcome failure(std::exception_ptr error);

    [[nodiscard]] bool ok() const noexcept { return !error_; }
    /// The statement's rows; rethrows the statement's error (its original type) if it failed.
    [[nodiscard]] const Result& result() const;
    /// The error's code; Errc{} (no enumerator) when ok().
    [[nodiscard]] Errc code() const noexcept { return code_; }
    /// Empty when ok().
    [[nodiscard]] std::error_code error_code() const noexcept {
        return ok() ? std::error_code{} : make_error_code(code_);
    }
    [[nodiscard]] const std::string& sqlstate() const noexcept { return sqlstate_; }  ///< empty if none
    [[nodiscard]] const std::string& message() const noexcept { return message_; }    ///< empty when ok()
    /// The error as thrown (null when ok()), for std::rethrow_exception.
    [[nodiscard]] const std::exception_ptr& error() const noexcept { return error_; }

  private:
    Result result_;
    std::exception_ptr error_;
    Errc code_{};
    std::string sqlstate_;
    std::string message_;
};

}  // namespace ucm::pg
