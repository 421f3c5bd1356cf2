#include "generators/diagnostics.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

namespace neon::gen {

std::string format_diagnostic(const Diagnostic& d) {
  std::string where = d.file;
  if (d.mark.line > 0) {
    where += fmt::format(":{}:{}", d.mark.line, d.mark.col);
  }
  const char* level = d.warning ? "warning" : "error";
  if (d.path.empty()) {
    return fmt::format("{}: {}: {}", where, level, d.message);
  }
  return fmt::format("{}: {}: {}: {}", where, level, d.path, d.message);
}

void sort_diagnostics(std::vector<Diagnostic>& diags) {
  auto key = [](const Diagnostic& d) { return std::tie(d.mark.line, d.mark.col, d.path, d.message); };
  std::stable_sort(diags.begin(), diags.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  diags.erase(std::unique(diags.begin(), diags.end(),
                          [&](const Diagnostic& a, const Diagnostic& b) { return key(a) == key(b); }),
              diags.end());
}

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  if (a.size() > b.size()) {
    std::swap(a, b);
  }
  if (b.size() - a.size() > limit) {
    return limit + 1;
  }
  std::vector<std::size_t> row(a.size() + 1);
  for (std::size_t i = 0; i <= a.size(); ++i) {
    row[i] = i;
  }
  for (std::size_t j = 1; j <= b.size(); ++j) {
    std::size_t diag = row[0];
    row[0] = j;
    std::size_t best = row[0];
    for (std::size_t i = 1; i <= a.size(); ++i) {
      const std::size_t up = row[i];
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[i] = std::min({row[i] + 1, row[i - 1] + 1, diag + cost});
      diag = up;
      best = std::min(best, row[i]);
    }
    if (best > limit) {
      return limit + 1;
    }
  }
  return row[a.size()];
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  // Like ninja's SpellcheckString: accept up to a third of the word's length, at least 1, at most 3.
  const std::size_t allowed = std::clamp<std::size_t>(word.size() / 3, 1, 3);
  std::string best;
  std::size_t best_distance = allowed + 1;
  for (const auto& c : candidates) {
    // Case-only differences are always close.
    std::string lower_c = c;
    std::string lower_w(word);
    std::transform(lower_c.begin(), lower_c.end(), lower_c.begin(), [](unsigned char ch) { return std::tolower(ch); });
    std::transform(lower_w.begin(), lower_w.end(), lower_w.begin(), [](unsigned char ch) { return std::tolower(ch); });
    const std::size_t d = lower_c == lower_w ? 0 : edit_distance(word, c, allowed);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string suggestion_suffix(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string s = did_you_mean(word, candidates);
  return s.empty() ? std::string() : fmt::format(" (did you mean \"{}\"?)", s);
}

}  // namespace neon::gen
