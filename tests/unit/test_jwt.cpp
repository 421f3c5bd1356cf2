#include <doctest/doctest.h>

#include "plugin/adapters/base64.hpp"
#include "plugin/adapters/http.hpp"
#include "plugin/clients/jwt.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

using namespace neon::cli;

TEST_SUITE("jwt") {
  TEST_CASE("base64url round trip without padding") {
    CHECK(jwt::base64url_encode("") == "");
    CHECK(jwt::base64url_encode("f") == "Zg");
    CHECK(jwt::base64url_encode("fo") == "Zm8");
    CHECK(jwt::base64url_encode("foo") == "Zm9v");
    CHECK(jwt::base64url_encode("\xfb\xff") == "-_8");
    const std::vector<std::string> samples = {"", "a", "ab", "abc", "abcd", std::string("\x00\x01\xfe\xff", 4)};
    for (const auto& s : samples) {
      auto d = jwt::base64url_decode(jwt::base64url_encode(s));
      REQUIRE(d);
      CHECK(*d == s);
    }
    CHECK(*jwt::base64url_decode("Zg==") == "f");
    CHECK_FALSE(jwt::base64url_decode("Z"));
    CHECK_FALSE(jwt::base64url_decode("Zm9v+"));
    CHECK_FALSE(jwt::base64url_decode("Zh"));  // non-zero trailing bits
  }

  TEST_CASE("standard base64 (Secrets, kubeconfig): padding, whitespace, bad input") {
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(base64_encode("\xfb\xff") == "+/8=");
    CHECK(base64_encode(std::string(100, 'x')).find('\n') == std::string::npos);  // one line, however long
    const std::string binary("\x00\x01\xfe\xff\x00", 5);
    CHECK(*base64_decode(base64_encode(binary)) == binary);
    CHECK(*base64_decode("Zm8=") == "fo");
    CHECK(*base64_decode("Zm8") == "fo");               // padding optional
    CHECK(*base64_decode(" Zm9v\nZm8=\n") == "foofo");  // whitespace anywhere
    CHECK(*base64_decode("") == "");
    CHECK_FALSE(base64_decode("Zm9v*"));
    CHECK_FALSE(base64_decode("Z"));
    CHECK_FALSE(base64_decode("Zg==Zg=="));
    CHECK_FALSE(base64_decode("-_8="));  // the url alphabet is not this one
  }

  TEST_CASE("one URL encoder: RFC 3986 unreserved kept, every other byte %XX") {
    CHECK(http::url_encode("app.kubernetes.io/component=hook,x~y_z-1") ==
          "app.kubernetes.io%2Fcomponent%3Dhook%2Cx~y_z-1");
    CHECK(http::url_encode("2024-05-01T00:00:00+00:00") == "2024-05-01T00%3A00%3A00%2B00%3A00");
    CHECK(http::url_encode("a b\xc3\xa9") == "a%20b%C3%A9");
  }

  TEST_CASE("sign and verify round trip; header and claims") {
    auto kp = jwt::generate_ed25519();
    REQUIRE(kp);
    CHECK(kp->private_pem.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
    CHECK(kp->public_pem.rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);
    auto pub = jwt::public_from_private(kp->private_pem);
    REQUIRE(pub);
    CHECK(*pub == kp->public_pem);

    const nlohmann::json claims = {{"scope", "admin"}};
    auto token = jwt::sign(claims, kp->private_pem, "k1");
    REQUIRE(token);
    const auto first_dot = token->find('.');
    auto header = jwt::base64url_decode(token->substr(0, first_dot));
    REQUIRE(header);
    CHECK(nlohmann::json::parse(*header) == nlohmann::json{{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", "k1"}});
    auto back = jwt::verify(*token, kp->public_pem, 0);
    REQUIRE(back);
    CHECK(*back == claims);

    auto no_kid = jwt::sign(claims, kp->private_pem);
    REQUIRE(no_kid);
    CHECK(nlohmann::json::parse(*jwt::base64url_decode(no_kid->substr(0, no_kid->find('.')))).count("kid") == 0);
  }

  TEST_CASE("tampering, a different key and garbage are rejected") {
    auto kp = jwt::generate_ed25519();
    auto other = jwt::generate_ed25519();
    REQUIRE(kp);
    REQUIRE(other);
    auto token = jwt::sign({{"scope", "pageserverapi"}}, kp->private_pem);
    REQUIRE(token);
    const auto dot1 = token->find('.');
    const auto dot2 = token->rfind('.');
    std::string forged =
        token->substr(0, dot1 + 1) + jwt::base64url_encode(R"({"scope":"admin"})") + token->substr(dot2);
    CHECK_FALSE(jwt::verify(forged, kp->public_pem, 0));
    std::string flipped = *token;
    flipped[dot2 + 5] = flipped[dot2 + 5] == 'A' ? 'B' : 'A';
    CHECK_FALSE(jwt::verify(flipped, kp->public_pem, 0));
    auto wrong = jwt::verify(*token, other->public_pem, 0);
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().message == "token signature does not verify");
    CHECK_FALSE(jwt::verify("a.b", kp->public_pem, 0));
    CHECK_FALSE(jwt::verify("", kp->public_pem, 0));
    CHECK_FALSE(jwt::verify(*token, "not a pem", 0));
    const std::string none_alg =
        jwt::base64url_encode(R"({"alg":"none"})") + "." + jwt::base64url_encode(R"({"scope":"admin"})") + ".";
    CHECK_FALSE(jwt::verify(none_alg, kp->public_pem, 0));
    CHECK_FALSE(jwt::sign({{"scope", "admin"}}, "garbage"));
    CHECK_FALSE(jwt::sign(nlohmann::json::array(), kp->private_pem));
  }

  TEST_CASE("exp is checked when present") {
    auto kp = jwt::generate_ed25519();
    REQUIRE(kp);
    auto token = jwt::sign({{"scope", "admin"}, {"exp", 1000}}, kp->private_pem);
    REQUIRE(token);
    CHECK(jwt::verify(*token, kp->public_pem, 999));
    auto late = jwt::verify(*token, kp->public_pem, 1000);
    REQUIRE_FALSE(late);
    CHECK(late.error().message == "token has expired");
    auto bad_exp = jwt::sign({{"exp", "soon"}}, kp->private_pem);
    REQUIRE(bad_exp);
    CHECK_FALSE(jwt::verify(*bad_exp, kp->public_pem, 0));
  }

  TEST_CASE("JWKS shape: OKP with the raw 32-byte public key") {
    auto kp = jwt::generate_ed25519();
    REQUIRE(kp);
    auto doc = jwt::jwks(kp->public_pem, "hook");
    REQUIRE(doc);
    REQUIRE((*doc)["keys"].size() == 1);
    const auto& k = (*doc)["keys"][0];
    CHECK(k["kty"] == "OKP");
    CHECK(k["crv"] == "Ed25519");
    CHECK(k["alg"] == "EdDSA");
    CHECK(k["use"] == "sig");
    CHECK(k["kid"] == "hook");
    auto x = jwt::base64url_decode(k["x"].get<std::string>());
    REQUIRE(x);
    CHECK(x->size() == 32);
    // The SPKI DER of an Ed25519 key ends with the raw key: compare against the PEM body.
    std::string body;
    for (const char c : kp->public_pem) {
      if (c != '\n') {
        body += c;
      }
    }
    body = body.substr(std::string("-----BEGIN PUBLIC KEY-----").size());
    body = body.substr(0, body.find('-'));
    std::string url = body;
    for (char& c : url) {
      c = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    auto der = jwt::base64url_decode(url);
    REQUIRE(der);
    CHECK(der->substr(der->size() - 32) == *x);
    CHECK_FALSE(jwt::jwks("nope", ""));
  }

  TEST_CASE("the openssl CLI verifies our signature and we verify its key" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    neon::test::ScratchDir dir("jwt-openssl");
    auto gen =
        neon::test::run_process({"openssl", "genpkey", "-algorithm", "ed25519", "-out", (dir / "k.pem").string()});
    REQUIRE(gen.exit == 0);
    const std::string priv = neon::test::read_text(dir / "k.pem");
    auto pub = jwt::public_from_private(priv);
    REQUIRE(pub);
    neon::test::write_text(dir / "pub.pem", *pub);
    auto token = jwt::sign({{"scope", "safekeeperdata"}}, priv);
    REQUIRE(token);
    const auto dot2 = token->rfind('.');
    neon::test::write_text(dir / "input", token->substr(0, dot2));
    neon::test::write_text(dir / "sig", *jwt::base64url_decode(token->substr(dot2 + 1)));
    auto ok = neon::test::run_process({"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", (dir / "pub.pem").string(),
                                       "-rawin", "-in", (dir / "input").string(), "-sigfile", (dir / "sig").string()});
    CHECK(ok.exit == 0);
    neon::test::write_text(dir / "input", token->substr(0, dot2) + "x");
    auto bad = neon::test::run_process({"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", (dir / "pub.pem").string(),
                                        "-rawin", "-in", (dir / "input").string(), "-sigfile", (dir / "sig").string()});
    CHECK(bad.exit != 0);
  }
}
