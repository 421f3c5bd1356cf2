#pragma once
// The built binary against the project's fake Kubernetes API: a scratch folder with a kubeconfig
// for the fake (token auth, its CA) and a spec, neon.yaml; run() adds -f and --kubeconfig.

#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "plugin/adapters/base64.hpp"
#include "tests/support/fake_kube_api.hpp"
#include "tests/support/run.hpp"

namespace neon::test {

struct KubeCli {
  ScratchDir dir;
  TestPki pki;
  FakeKubeApi fake;
  std::string kubeconfig;
  KubeCli(const std::string& name, const std::string& spec)
      : dir(name), pki(dir.path()), fake(pki, FakeKubeOptions{"tok", false, ""}), kubeconfig((dir / "cfg").string()) {
    REQUIRE_MESSAGE(pki.ok, pki.error);
    write_text(dir / "cfg", fmt::format("apiVersion: v1\nkind: Config\ncurrent-context: k\nclusters:\n- name: k\n"
                                        "  cluster:\n    server: {}\n    certificate-authority: ca.crt\n"
                                        "users:\n- name: k\n  user:\n    token: tok\ncontexts:\n- name: k\n"
                                        "  context:\n    cluster: k\n    user: k\n",
                                        fake.url()));
    write_text(dir / "neon.yaml", spec);
  }
  CliResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"-f", (dir / "neon.yaml").string(), "--kubeconfig", kubeconfig});
    return run_cli(args);
  }
  /// The Secret's values, decoded.
  std::map<std::string, std::string> secret(const std::string& name) {
    std::map<std::string, std::string> out;
    auto s = fake.secret("neon", name);
    REQUIRE(s);
    for (const auto& [k, v] : (*s)["data"].items()) {
      out[k] = *cli::base64_decode(v.get<std::string>());
    }
    return out;
  }
};

}  // namespace neon::test
