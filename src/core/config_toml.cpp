#include "core/config_toml.hpp"

#include "core/config_fields.hpp"
#include "core/suggest.hpp"

#include <ucm/core/error.hpp>

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace ucm::detail {
namespace {

constexpr std::string_view kWithheld = "...";

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool harmless_fragment(std::string_view fragment) {
    if (fragment.size() == 1) return !is_alnum(fragment[0]);
    return fragment == "\\n" || fragment == "\\r" || fragment == "\\t";
}

// The source line `line` (1-based) of `doc`, empty if out of range.
std::string_view line_of(std::string_view doc, std::size_t line) {
    std::size_t start = 0;
    for (std::size_t n = 1; n < line; ++n) {
        start = doc.find('\n', start);
        if (start == std::string_view::npos) return {};
        ++start;
    }
    return doc.substr(start, doc.find('\n', start) - start);
}

// A line that sets a password or a URI (which may embed one): toml++'s description of an error
// there may describe the secret's characters, so it is withheld entirely.
bool holds_secret(std::string_view line) {
    std::string lower{line};
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    return lower.find("password") != std::string::npos || lower.find("uri") != std::string::npos ||
           lower.find("url") != std::string::npos;
}

[[noreturn]] void syntax_error(const toml::parse_error& error, std::string_view doc,
                               std::string_view source) {
    const toml::source_position pos = error.source().begin;
    const std::string where =
        std::string{source} + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
    if (holds_secret(line_of(doc, pos.line))) {
        throw ConfigInvalid(where, "TOML syntax error on a line that holds a secret (details withheld)");
    }
    throw ConfigInvalid(where, "TOML syntax error: " + scrub_toml_description(error.description()));
}

[[noreturn]] void unknown_key(const std::string& path) {
    std::vector<std::string_view> candidates;
    for (const FieldSpec& field : config_fields()) candidates.push_back(field.path);
    for (std::string_view table : config_tables()) candidates.push_back(table);
    std::optional<std::string> match = closest_match(path, candidates);
    if (!match) {
        // The right key in the wrong table: `[pool] dbname` → postgres.dbname.
        const std::string_view leaf = std::string_view{path}.substr(path.rfind('.') + 1);
        for (const FieldSpec& field : config_fields()) {
            if (field.path.ends_with("." + std::string{leaf})) {
                match = std::string{field.path};
                break;
            }
        }
    }
    throw ConfigInvalid(path, match ? "unknown key (did you mean " + *match + "?)" : "unknown key");
}

RawValue to_raw(const toml::node& node, const std::string& path) {
    switch (node.type()) {
        case toml::node_type::string:
            return node.as_string()->get();
        case toml::node_type::integer:
            return node.as_integer()->get();
        case toml::node_type::floating_point:
            return node.as_floating_point()->get();
        case toml::node_type::boolean:
            return node.as_boolean()->get();
        case toml::node_type::array: {
            std::vector<std::string> items;
            for (const toml::node& item : *node.as_array()) {
                const std::string item_path = path + "[" + std::to_string(items.size()) + "]";
                if (!item.is_string()) throw ConfigInvalid(item_path, "expected a string");
                items.push_back(item.as_string()->get());
            }
            return items;
        }
        case toml::node_type::table:
            throw ConfigInvalid(path, "expected a value, got a table");
        default:
            throw ConfigInvalid(path, "dates and times are not accepted; durations are strings like \"5s\"");
    }
}

void flatten(const toml::table& table, const std::string& prefix, SourceSettings& out) {
    for (const auto& [key, node] : table) {
        const std::string path =
            prefix.empty() ? std::string{key.str()} : prefix + "." + std::string{key.str()};
        // A quoted key with a dot ("pool.size" = 1) is one key, not a path: never a known one.
        if (key.str().find('.') != std::string_view::npos) unknown_key(path);
        if (find_field(path) != nullptr) {
            out.values[path] =
                Setting{.path = path, .origin = path, .value = to_raw(node, path), .from_env = false};
        } else if (is_config_table(path)) {
            if (!node.is_table()) throw ConfigInvalid(path, "expected a table");
            out.tables.push_back(path);
            flatten(*node.as_table(), path, out);
        } else {
            unknown_key(path);
        }
    }
}

}  // namespace

std::string scrub_toml_description(std::string_view description) {
    std::string out;
    std::size_t i = 0;
    while (i < description.size()) {
        const std::size_t quote = description.find('\'', i);
        const std::size_t close = quote == std::string_view::npos ? quote : description.find('\'', quote + 1);
        if (close == std::string_view::npos) {
            out.append(description.substr(i));
            break;
        }
        out.append(description.substr(i, quote + 1 - i));
        const std::string_view fragment = description.substr(quote + 1, close - quote - 1);
        out.append(harmless_fragment(fragment) ? fragment : kWithheld);
        out.push_back('\'');
        i = close + 1;
    }
    // Unquoted numbers after "saw" ("expected month ..., saw 99") are source text too.
    for (std::size_t pos = out.find("saw "); pos != std::string::npos; pos = out.find("saw ", pos + 4)) {
        std::size_t end = pos + 4;
        while (end < out.size() && is_alnum(out[end])) ++end;
        if (end > pos + 4) out.replace(pos + 4, end - pos - 4, kWithheld);
    }
    return out;
}

SourceSettings read_toml_settings(std::string_view doc, std::string_view source_name) {
    toml::table root;
    try {
        root = toml::parse(doc, std::string_view{source_name});
    } catch (const toml::parse_error& error) {
        syntax_error(error, doc, source_name);
    }
    SourceSettings settings;
    flatten(root, "", settings);
    return settings;
}

}  // namespace ucm::detail
