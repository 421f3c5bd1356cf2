#pragma once
// Comparing two sets of Kubernetes objects as kustomize and render give them: key order,
// formatting and object order dropped (objects sorted by kind, namespace and name). Header-only:
// it uses doctest's assertions, and only the unit tests link doctest.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "generators/emit.hpp"

namespace neon::test {

/// Sorted-key objects, sorted by kind, namespace and name.
inline std::vector<nlohmann::json> canonical_objects(const std::vector<gen::Json>& docs) {
  std::vector<nlohmann::json> out;
  out.reserve(docs.size());
  for (const auto& d : docs) {
    out.push_back(nlohmann::json::parse(d.dump()));
  }
  auto key = [](const nlohmann::json& o) {
    return std::make_tuple(o.value("kind", ""), o["metadata"].value("namespace", ""), o["metadata"].value("name", ""));
  };
  std::sort(out.begin(), out.end(), [&](const nlohmann::json& a, const nlohmann::json& b) { return key(a) < key(b); });
  return out;
}

inline std::vector<gen::Json> parse_objects(const std::string& stream) {
  auto docs = gen::parse_yaml_stream(stream);
  REQUIRE_MESSAGE(docs, (docs ? "" : docs.error().message));
  return *docs;
}

/// Each object of `want` equals the one in `got` at the same place, and there are as many.
inline void check_same_objects(const std::vector<gen::Json>& want_docs, const std::vector<gen::Json>& got_docs) {
  const auto want = canonical_objects(want_docs);
  const auto got = canonical_objects(got_docs);
  REQUIRE(want.size() == got.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    CAPTURE(want[i]["kind"]);
    CAPTURE(want[i]["metadata"]["name"]);
    CHECK(want[i] == got[i]);
  }
}

}  // namespace neon::test
