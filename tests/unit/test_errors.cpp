// Typed errors (generators/result.hpp): every failure carries a kind, and an HTTP failure its
// status, set where the failure is first seen. Callers decide by them, never by message text.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include "plugin/adapters/files.hpp"
#include "plugin/clients/kube_client.hpp"
#include "tests/support/run.hpp"

using neon::ErrorKind;

TEST_SUITE("errors") {
  TEST_CASE("an HTTP status maps to one kind; with_context keeps kind and status") {
    CHECK(neon::kind_of_status(401) == ErrorKind::unauthorized);
    CHECK(neon::kind_of_status(403) == ErrorKind::unauthorized);
    CHECK(neon::kind_of_status(404) == ErrorKind::not_found);
    CHECK(neon::kind_of_status(409) == ErrorKind::conflict);
    CHECK(neon::kind_of_status(423) == ErrorKind::busy);
    CHECK(neon::kind_of_status(503) == ErrorKind::busy);
    CHECK(neon::kind_of_status(504) == ErrorKind::timeout);
    CHECK(neon::kind_of_status(400) == ErrorKind::invalid);
    CHECK(neon::kind_of_status(500) == ErrorKind::failed);
    neon::Result<int> r = neon::http_error(409, "PUT /x: HTTP 409");
    auto wrapped = std::move(r).with_context("creating the Secret");
    REQUIRE_FALSE(wrapped);
    CHECK(wrapped.error().kind == ErrorKind::conflict);
    CHECK(wrapped.error().http_status == 409);
    CHECK(wrapped.error().message == "creating the Secret: PUT /x: HTTP 409");
  }

  TEST_CASE("the Kubernetes client's errors carry the API server's status and kind") {
    neon::cli::http::Response resp;
    resp.status = 404;
    resp.body = R"({"kind":"Status","message":"secrets \"neon-auth\" not found","code":404})";
    const neon::Error e = neon::cli::kube::api_error("GET", "/api/v1/namespaces/neon/secrets/neon-auth", resp);
    CHECK(e.kind == ErrorKind::not_found);
    CHECK(e.http_status == 404);
    CHECK(e.message == "GET /api/v1/namespaces/neon/secrets/neon-auth: HTTP 404: secrets \"neon-auth\" not found");
  }

  TEST_CASE("the file writer: a missing file is not_found, an existing one kept with Overwrite::no is exists") {
    neon::test::ScratchDir dir("errors-files");
    auto missing = neon::cli::read_file(dir / "nope", 1024);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == ErrorKind::not_found);
    REQUIRE(neon::cli::write_file_atomic(dir / "key", "one", neon::cli::Overwrite::no, neon::cli::Access::owner_only));
    auto again = neon::cli::write_file_atomic(dir / "key", "two", neon::cli::Overwrite::no);
    REQUIRE_FALSE(again);
    CHECK(again.error().kind == ErrorKind::exists);
    CHECK(neon::test::read_text(dir / "key") == "one");
    struct stat st {};
    REQUIRE(::stat((dir / "key").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto no_folder = neon::cli::write_file_atomic(dir / "missing" / "file", "x");
    REQUIRE_FALSE(no_folder);
    CHECK(no_folder.error().kind == ErrorKind::not_found);
  }

  TEST_CASE("open_below refuses a link on the way and '..', and names it") {
    neon::test::ScratchDir dir("errors-below");
    std::filesystem::create_directories(dir / "repo" / "clusters");
    std::filesystem::create_directories(dir / "outside");
    std::filesystem::create_directory_symlink(dir / "outside", dir / "repo" / "clusters" / "link");
    auto root = neon::cli::open_dir(dir / "repo", false);
    REQUIRE(root);
    auto through = neon::cli::open_below(root->get(), "clusters/link/x", true);
    REQUIRE_FALSE(through);
    CHECK(through.error().kind == ErrorKind::invalid);
    CHECK(through.error().message.find("clusters/link") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "outside" / "x"));
    auto up = neon::cli::open_below(root->get(), "clusters/../../outside", true);
    REQUIRE_FALSE(up);
    CHECK(up.error().kind == ErrorKind::invalid);
  }
}
