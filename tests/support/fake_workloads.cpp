#include "tests/support/fake_workloads.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace neon::test {

bool selector_matches(const std::string& selector, const std::map<std::string, std::string>& labels) {
  std::size_t start = 0;
  while (start < selector.size()) {
    std::size_t comma = selector.find(',', start);
    if (comma == std::string::npos) {
      comma = selector.size();
    }
    const std::string term = selector.substr(start, comma - start);
    start = comma + 1;
    if (const auto ne = term.find("!="); ne != std::string::npos) {
      const auto it = labels.find(term.substr(0, ne));
      if (it != labels.end() && it->second == term.substr(ne + 2)) {
        return false;
      }
    } else if (const auto eq = term.find('='); eq != std::string::npos) {
      const std::size_t value_at = term.compare(eq, 2, "==") == 0 ? eq + 2 : eq + 1;
      const auto it = labels.find(term.substr(0, eq));
      if (it == labels.end() || it->second != term.substr(value_at)) {
        return false;
      }
    } else if (!term.empty() && labels.count(term) == 0) {
      return false;
    }
  }
  return true;
}

namespace {

nlohmann::json pod_object(const std::string& ns, const std::string& name, const FakeWorkloads::Labels& labels,
                          const std::string& uid, const std::string& phase, bool ready) {
  return {{"metadata", {{"name", name}, {"namespace", ns}, {"uid", uid}, {"labels", labels}}},
          {"status", {{"phase", phase}, {"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}}}};
}

void set_ready(nlohmann::json& pod, bool ready) {
  pod["status"]["phase"] = "Running";
  pod["status"]["conditions"] = {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}};
}

}  // namespace

void FakeWorkloads::add_pod(const std::string& ns, const std::string& name, const Labels& labels,
                            const std::string& phase, bool ready) {
  std::lock_guard<std::mutex> lock(m_mu);
  PodRec rec;
  rec.object = pod_object(ns, name, labels, fmt::format("uid-{}", ++m_uid), phase, ready);
  // A pod labelled like a StatefulSet's (app.kubernetes.io/name = the set) is re-created by it.
  if (auto it = labels.find("app.kubernetes.io/name"); it != labels.end() && labels.count("controller-revision-hash")) {
    rec.owner = it->second;
  }
  m_pods[ns].push_back(std::move(rec));
}

void FakeWorkloads::add_finished_pod(const std::string& ns, const std::string& name, const Labels& labels,
                                     int exit_code, const std::string& reason, const std::string& message,
                                     const std::string& finished_at) {
  std::lock_guard<std::mutex> lock(m_mu);
  PodRec rec;
  rec.object =
      pod_object(ns, name, labels, fmt::format("uid-{}", ++m_uid), exit_code == 0 ? "Succeeded" : "Failed", false);
  nlohmann::json terminated{{"exitCode", exit_code}, {"reason", reason}, {"finishedAt", finished_at}};
  if (!message.empty()) {
    terminated["message"] = message;
  }
  rec.object["status"]["containerStatuses"] = {
      {{"name", "sync"}, {"ready", false}, {"state", {{"terminated", terminated}}}}};
  m_pods[ns].push_back(std::move(rec));
}

void FakeWorkloads::add_statefulset(const std::string& ns, const std::string& name, const Labels& labels,
                                    const std::string& strategy, const std::string& update_revision) {
  std::lock_guard<std::mutex> lock(m_mu);
  m_sets[ns].push_back({{"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
                        {"spec", {{"updateStrategy", {{"type", strategy}}}}},
                        {"status", {{"updateRevision", update_revision}}}});
}

void FakeWorkloads::set_update_revision(const std::string& ns, const std::string& set, const std::string& revision) {
  std::lock_guard<std::mutex> lock(m_mu);
  for (auto& s : m_sets[ns]) {
    if (s["metadata"]["name"] == set) {
      s["status"]["updateRevision"] = revision;
    }
  }
}

void FakeWorkloads::add_deployment(const std::string& ns, const std::string& name, const Labels& labels, int replicas,
                                   int updated, int available) {
  std::lock_guard<std::mutex> lock(m_mu);
  DeploymentRec rec;
  rec.object = {{"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}, {"generation", 1}}},
                {"spec", {{"replicas", replicas}}},
                {"status",
                 {{"observedGeneration", 1},
                  {"replicas", std::max(replicas, updated)},
                  {"updatedReplicas", updated},
                  {"availableReplicas", available}}}};
  m_deployments[ns].push_back(std::move(rec));
}

namespace {

nlohmann::json scale_of(const nlohmann::json& deployment) {
  const auto& meta = deployment["metadata"];
  return {{"apiVersion", "autoscaling/v1"},
          {"kind", "Scale"},
          {"metadata", {{"name", meta["name"]}, {"namespace", meta["namespace"]}}},
          {"spec", {{"replicas", deployment["spec"].value("replicas", 1)}}},
          {"status", {{"replicas", deployment["status"].value("replicas", 0)}}}};
}

}  // namespace

int FakeWorkloads::get_scale(const std::string& ns, const std::string& name, nlohmann::json& body) const {
  std::lock_guard<std::mutex> lock(m_mu);
  auto it = m_deployments.find(ns);
  if (it != m_deployments.end()) {
    for (const auto& d : it->second) {
      if (d.object["metadata"]["name"] == name) {
        body = scale_of(d.object);
        return 200;
      }
    }
  }
  return 404;
}

int FakeWorkloads::patch_scale(const std::string& ns, const std::string& name, const nlohmann::json& patch,
                               nlohmann::json& body) {
  const nlohmann::json* wanted = nullptr;
  if (patch.is_object() && patch.contains("spec") && patch["spec"].is_object() && patch["spec"].contains("replicas")) {
    wanted = &patch["spec"]["replicas"];
  }
  if (wanted == nullptr || !wanted->is_number_integer() || wanted->get<int>() < 0) {
    return 422;
  }
  const int n = wanted->get<int>();
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(m_mu);
    bool found = false;
    for (auto& d : m_deployments[ns]) {
      if (d.object["metadata"]["name"] == name) {
        changed = d.object["spec"].value("replicas", 1) != n;
        d.object["spec"]["replicas"] = n;
        d.object["status"]["replicas"] = n;
        body = scale_of(d.object);
        found = true;
      }
    }
    if (!found) {
      return 404;
    }
  }
  if (changed && m_on_scaled) {
    m_on_scaled(ns, name, n);
  }
  return 200;
}

void FakeWorkloads::on_scaled(std::function<void(const std::string&, const std::string&, int)> fn) {
  std::lock_guard<std::mutex> lock(m_mu);
  m_on_scaled = std::move(fn);
}

int FakeWorkloads::replicas(const std::string& ns, const std::string& name) const {
  std::lock_guard<std::mutex> lock(m_mu);
  auto it = m_deployments.find(ns);
  if (it != m_deployments.end()) {
    for (const auto& d : it->second) {
      if (d.object["metadata"]["name"] == name) {
        return d.object["spec"].value("replicas", 1);
      }
    }
  }
  return -1;
}

void FakeWorkloads::set_deployment(const std::string& ns, const std::string& name, int updated, int available) {
  std::lock_guard<std::mutex> lock(m_mu);
  for (auto& d : m_deployments[ns]) {
    if (d.object["metadata"]["name"] == name) {
      auto& st = d.object["status"];
      st["replicas"] = updated + std::max(0, available - updated);  // the old pods still available
      st["updatedReplicas"] = updated;
      st["availableReplicas"] = available;
    }
  }
}

void FakeWorkloads::finish_deployment_after(const std::string& ns, const std::string& name, int lists) {
  std::lock_guard<std::mutex> lock(m_mu);
  for (auto& d : m_deployments[ns]) {
    if (d.object["metadata"]["name"] == name) {
      d.finish_in = lists;
    }
  }
}

void FakeWorkloads::add_event(const std::string& ns, const std::string& object, const std::string& reason,
                              const std::string& message) {
  std::lock_guard<std::mutex> lock(m_mu);
  const auto n = m_events[ns].size();
  m_events[ns].push_back({{"apiVersion", "v1"},
                          {"kind", "Event"},
                          {"metadata", {{"name", fmt::format("{}.{:x}", object, 0x1000 + n)}, {"namespace", ns}}},
                          {"involvedObject", {{"kind", "Pod"}, {"name", object}, {"namespace", ns}}},
                          {"reason", reason},
                          {"message", message},
                          {"type", reason == "Started" ? "Normal" : "Warning"},
                          {"count", 1}});
}

void FakeWorkloads::add_cronjob(const std::string& ns, const std::string& name, const Labels& labels,
                                const std::string& schedule, bool suspend) {
  std::lock_guard<std::mutex> lock(m_mu);
  m_cronjobs[ns].push_back({{"apiVersion", "batch/v1"},
                            {"kind", "CronJob"},
                            {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
                            {"spec", {{"schedule", schedule}, {"suspend", suspend}}},
                            {"status", nlohmann::json::object()}});
}

bool FakeWorkloads::has_pod(const std::string& ns, const std::string& name) const {
  std::lock_guard<std::mutex> lock(m_mu);
  const auto it = m_pods.find(ns);
  return it != m_pods.end() && std::any_of(it->second.begin(), it->second.end(),
                                           [&](const PodRec& p) { return p.object["metadata"]["name"] == name; });
}

void FakeWorkloads::set_restart_lists(int terminating, int not_ready) {
  std::lock_guard<std::mutex> lock(m_mu);
  m_terminating_lists = std::max(0, terminating);
  m_not_ready_lists = std::max(0, not_ready);
}

void FakeWorkloads::stick(const std::string& ns, const std::string& pod) {
  std::lock_guard<std::mutex> lock(m_mu);
  m_stuck.insert(ns + "/" + pod);
}

void FakeWorkloads::unstick(const std::string& ns, const std::string& pod) {
  std::lock_guard<std::mutex> lock(m_mu);
  m_stuck.erase(ns + "/" + pod);
}

void FakeWorkloads::on_deleted(PodEvent fn) {
  std::lock_guard<std::mutex> lock(m_mu);
  m_on_deleted = std::move(fn);
}

void FakeWorkloads::on_ready(PodEvent fn) {
  std::lock_guard<std::mutex> lock(m_mu);
  m_on_ready = std::move(fn);
}

std::vector<std::string> FakeWorkloads::tick_pods(const std::string& ns) {
  std::vector<std::string> became_ready;
  for (auto& p : m_pods[ns]) {
    const std::string name = p.object["metadata"]["name"];
    if (p.terminating_left > 0) {
      --p.terminating_left;
      continue;
    }
    if (p.terminating_left == 0) {  // gone; the StatefulSet controller creates the ordinal again
      p.terminating_left = -1;
      p.object["metadata"].erase("deletionTimestamp");
      p.object["metadata"]["uid"] = fmt::format("uid-{}", ++m_uid);
      for (const auto& s : m_sets[ns]) {
        if (s["metadata"]["name"] == p.owner) {
          p.object["metadata"]["labels"]["controller-revision-hash"] = s["status"]["updateRevision"];
        }
      }
      set_ready(p.object, false);
      p.not_ready_left = m_not_ready_lists;
    }
    if (p.not_ready_left > 0) {
      --p.not_ready_left;
      continue;
    }
    if (p.not_ready_left == 0 && m_stuck.count(ns + "/" + name) == 0) {
      p.not_ready_left = -1;
      set_ready(p.object, true);
      became_ready.push_back(name);
    }
  }
  return became_ready;
}

nlohmann::json FakeWorkloads::list(const std::string& kind, const std::string& ns, const std::string& selector) {
  std::vector<std::string> ready;
  PodEvent on_ready;
  nlohmann::json items = nlohmann::json::array();
  const auto matches = [&](const nlohmann::json& object) {
    return selector_matches(selector, object["metadata"].value("labels", nlohmann::json::object()).get<Labels>());
  };
  {
    std::lock_guard<std::mutex> lock(m_mu);
    if (kind == "PodList") {
      ready = tick_pods(ns);
      on_ready = m_on_ready;
      for (const auto& p : m_pods[ns]) {
        if (matches(p.object)) {
          items.push_back(p.object);
        }
      }
    } else if (kind == "EventList") {
      for (const auto& e : m_events[ns]) {
        items.push_back(e);
      }
    } else if (kind == "CronJobList") {
      for (const auto& j : m_cronjobs[ns]) {
        if (matches(j)) {
          items.push_back(j);
        }
      }
    } else if (kind == "StatefulSetList") {
      for (const auto& s : m_sets[ns]) {
        if (matches(s)) {
          items.push_back(s);
        }
      }
    } else {
      for (auto& d : m_deployments[ns]) {
        if (d.finish_in > 0 && --d.finish_in == 0) {
          auto& st = d.object["status"];
          const auto replicas = d.object["spec"]["replicas"];
          st["replicas"] = replicas;
          st["updatedReplicas"] = replicas;
          st["availableReplicas"] = replicas;
        }
        if (matches(d.object)) {
          items.push_back(d.object);
        }
      }
    }
  }
  if (on_ready) {
    for (const auto& name : ready) {
      on_ready(ns, name);
    }
  }
  return {{"kind", kind},
          {"apiVersion", kind == "PodList" || kind == "EventList" ? "v1" : "apps/v1"},
          {"metadata", {{"resourceVersion", "1"}}},
          {"items", items}};
}

int FakeWorkloads::delete_pod(const std::string& ns, const std::string& name, nlohmann::json& body) {
  PodEvent on_deleted;
  {
    std::lock_guard<std::mutex> lock(m_mu);
    auto& pods = m_pods[ns];
    auto it =
        std::find_if(pods.begin(), pods.end(), [&](const PodRec& p) { return p.object["metadata"]["name"] == name; });
    if (it == pods.end()) {
      return 404;
    }
    m_deleted.push_back(name);
    if (it->owner.empty()) {
      body = it->object;
      pods.erase(it);
    } else {
      if (it->terminating_left < 0) {
        it->object["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
        it->terminating_left = m_terminating_lists;
        it->not_ready_left = -1;
      }
      body = it->object;
    }
    on_deleted = m_on_deleted;
  }
  if (on_deleted) {
    on_deleted(ns, name);
  }
  return 200;
}

std::vector<std::string> FakeWorkloads::deleted_pods() const {
  std::lock_guard<std::mutex> lock(m_mu);
  return m_deleted;
}

}  // namespace neon::test
