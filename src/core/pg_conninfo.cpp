#include "core/pg_conninfo.hpp"

#include <ucm/core/error.hpp>

namespace ucm::detail {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Reads keyword = value pairs left to right. Errors give positions, never text.
class ConninfoLexer {
  public:
    ConninfoLexer(std::string_view text, const std::string& field) : text_(text), field_(field) {}

    PgParams run() {
        PgParams params;
        for (skip_space(); pos_ < text_.size(); skip_space()) {
            const std::size_t key_start = pos_;
            std::string key = read_keyword();
            std::string value = read_value();
            params.push_back({std::move(key), std::move(value),
                              "keyword #" + std::to_string(params.size() + 1) + at(key_start)});
        }
        return params;
    }

  private:
    [[nodiscard]] std::string at(std::size_t pos) const { return " at character " + std::to_string(pos + 1); }
    [[nodiscard]] bool done() const { return pos_ == text_.size(); }

    void skip_space() {
        while (!done() && is_space(text_[pos_])) ++pos_;
    }

    // The keyword and the '=' after it (spaces allowed around '=').
    std::string read_keyword() {
        const std::size_t start = pos_;
        while (!done() && text_[pos_] != '=' && !is_space(text_[pos_])) ++pos_;
        std::string key{text_.substr(start, pos_ - start)};
        skip_space();
        if (done() || text_[pos_] != '=') {
            throw ConfigInvalid(field_, "expected '=' after the keyword starting" + at(start));
        }
        if (key.empty()) throw ConfigInvalid(field_, "missing keyword before '='" + at(pos_));
        ++pos_;
        skip_space();
        return key;
    }

    // A bare value ends at whitespace, a quoted one at the closing quote; '\' escapes in both.
    std::string read_value() {
        const std::size_t start = pos_;
        const bool quoted = !done() && text_[pos_] == '\'';
        if (quoted) ++pos_;
        std::string value;
        while (!done()) {
            const char c = text_[pos_];
            if (quoted ? c == '\'' : is_space(c)) break;
            if (c == '\\' && ++pos_ == text_.size()) break;
            value.push_back(text_[pos_++]);
        }
        if (quoted) {
            if (done()) throw ConfigInvalid(field_, "unterminated quoted value starting" + at(start));
            ++pos_;  // the closing quote
        }
        return value;
    }

    std::string_view text_;
    const std::string& field_;
    std::size_t pos_ = 0;
};

}  // namespace

PgParams parse_pg_conninfo(std::string_view conninfo, const std::string& field) {
    return ConninfoLexer{conninfo, field}.run();
}

}  // namespace ucm::detail
