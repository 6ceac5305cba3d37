// "did you mean ...?" for unknown configuration keys.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ucm::detail {

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo
/// (at most 2 edits, and fewer than half the word's length). Ties go to the earlier candidate.
[[nodiscard]] std::optional<std::string> closest_match(std::string_view word,
                                                       std::span<const std::string_view> candidates);

/// Levenshtein distance (insertions, deletions, substitutions).
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace ucm::detail
