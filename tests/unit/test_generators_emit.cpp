// The YAML emitter: quoting of strings YAML 1.1 would retype, literal blocks, kubectl's block
// style, determinism, and a round trip through yaml-cpp.
#include <doctest/doctest.h>

#include <string>

#include "generators/emit.hpp"

using neon::gen::Json;
using neon::gen::needs_quotes;
using neon::gen::parse_yaml_stream;
using neon::gen::to_yaml;

TEST_SUITE("generate") {
  TEST_CASE("emit: strings YAML 1.1 reads as bool, null or number are quoted") {
    for (const char* s :
         {"yes",  "Yes", "NO",  "on",   "Off",   "y",  "n",  "true", "False", "null",  "~",    "",     "1.0",
          "0755", "1",   "1e3", "0x1F", "12:30", "-1", "+1", ".5",   ".inf",  "-.inf", ".NaN", "1_000"}) {
      CAPTURE(s);
      CHECK(needs_quotes(s));
    }
  }

  TEST_CASE("emit: strings with YAML indicators are quoted") {
    for (const char* s :
         {"-",  "- x", "---", "--- a", ":9000", "a: b", "x #c", "*ref",  "&a",     "!tag", "{a}",      "[a]",
          "'q", "\"q", "%p",  "@a",    "`b",    "|x",   ">x",   " lead", "trail ", "end:", "tab\there"}) {
      CAPTURE(s);
      CHECK(needs_quotes(s));
    }
  }

  TEST_CASE("emit: ordinary strings stay plain") {
    for (const char* s : {"10Gi", "500m", "neon", "storage-broker", "docker.io/neondatabase/neon:8463",
                          "--listen=0.0.0.0:1234", "http://compute-hook.neon.svc.cluster.local:8080/", "0/169AD58",
                          "app.kubernetes.io/name", "RuntimeDefault", "a-b_c.d", "-x", "--dev", "--ignore-existing"}) {
      CAPTURE(s);
      CHECK_FALSE(needs_quotes(s));
    }
  }

  TEST_CASE("emit: block style like kubectl, sequences not indented under keys") {
    const Json doc{{"apiVersion", "v1"},
                   {"kind", "ConfigMap"},
                   {"metadata", Json{{"name", "x"}, {"labels", Json::object()}}},
                   {"list", Json::array({"a", Json{{"k", 1}, {"v", true}}, Json::array()})},
                   {"data", Json{{"on", "yes"}, {"version", "17"}, {"ratio", 0.25}, {"none", nullptr}}}};
    CHECK(to_yaml(doc) ==
          "apiVersion: v1\n"
          "kind: ConfigMap\n"
          "metadata:\n"
          "  name: x\n"
          "  labels: {}\n"
          "list:\n"
          "- a\n"
          "- k: 1\n"
          "  v: true\n"
          "- []\n"
          "data:\n"
          "  \"on\": \"yes\"\n"
          "  version: \"17\"\n"
          "  ratio: 0.25\n"
          "  none: null\n");
  }

  TEST_CASE("emit: multi-line strings become literal blocks with the right chomping") {
    CHECK(to_yaml(Json{{"a", "x\ny\n"}}) == "a: |\n  x\n  y\n");
    CHECK(to_yaml(Json{{"a", "x\n\ny"}}) == "a: |-\n  x\n\n  y\n");
    CHECK(to_yaml(Json{{"a", "x\n\n"}}) == "a: |+\n  x\n\n");
    CHECK(to_yaml(Json{{"l", Json::array({"p\nq\n"})}}) == "l:\n- |\n  p\n  q\n");
    // Leading spaces or trailing spaces cannot be a literal block; they are double-quoted.
    CHECK(to_yaml(Json{{"a", " x\ny"}}) == "a: \" x\\ny\"\n");
    CHECK(to_yaml(Json{{"a", "x \ny"}}) == "a: \"x \\ny\"\n");
  }

  TEST_CASE("emit: round trip through yaml-cpp keeps every value") {
    const Json doc{{"strings", Json::array({"yes", "on", "1.0", "0755", "null", "", "a: b", "-x", "plain", "--dev",
                                            "- x", "---", "multi\nline\n", "multi\n\nno-newline", "x \ny", "é ü"})},
                   {"numbers", Json::array({0, -3, 17, 0.25, 1.5})},
                   {"bools", Json::array({true, false})},
                   {"nested", Json{{"list", Json::array({Json{{"a", Json::array({1, 2})}, {"b", Json::object()}}})}}},
                   {"nothing", nullptr}};
    auto parsed = parse_yaml_stream(to_yaml(doc));
    REQUIRE(parsed);
    REQUIRE(parsed->size() == 1);
    CHECK((*parsed)[0] == doc);
  }

  TEST_CASE("emit: output is deterministic and streams separate documents") {
    const Json a{{"kind", "A"}, {"x", "1"}};
    const Json b{{"kind", "B"}};
    CHECK(to_yaml(a) == to_yaml(Json(a)));
    CHECK(neon::gen::to_yaml_stream({a, b}) == "kind: A\nx: \"1\"\n---\nkind: B\n");
    auto parsed = parse_yaml_stream(neon::gen::to_yaml_stream({a, b}));
    REQUIRE(parsed);
    CHECK(parsed->size() == 2);
  }

  TEST_CASE("emit: kustomize's kind order") {
    std::vector<Json> objs{Json{{"kind", "Deployment"}, {"metadata", Json{{"name", "b"}}}},
                           Json{{"kind", "NetworkPolicy"}, {"metadata", Json{{"name", "a"}}}},
                           Json{{"kind", "Service"}, {"metadata", Json{{"name", "z"}}}},
                           Json{{"kind", "Deployment"}, {"metadata", Json{{"name", "a"}}}},
                           Json{{"kind", "Namespace"}, {"metadata", Json{{"name", "neon"}}}}};
    neon::gen::sort_for_output(objs);
    std::string order;
    for (const auto& o : objs) {
      order += o["kind"].get<std::string>() + "/" + o["metadata"]["name"].get<std::string>() + " ";
    }
    CHECK(order == "Namespace/neon Service/z Deployment/a Deployment/b NetworkPolicy/a ");
  }

  TEST_CASE("emit: malformed YAML is an error, not an exception") {
    auto r = parse_yaml_stream("a: [1, 2\n");
    CHECK_FALSE(r);
  }
}
