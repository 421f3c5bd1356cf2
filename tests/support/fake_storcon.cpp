// Fake storage controller: one catch-all handler routes by path segments under one mutex.
#include "tests/support/fake_storcon.hpp"

#include "plugin/clients/jwt.hpp"

#include <httplib.h>

#include <algorithm>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "plugin/adapters/http_listen.hpp"
#include "plugin/hook/hook_server.hpp"

namespace neon::test {

using Json = nlohmann::json;

namespace {

struct NodeRec {
  std::uint64_t id = 0;
  std::string zone;
  std::string availability = "Active";
  std::string scheduling = "Active";
  std::string host;  ///< listen_http_addr and listen_pg_addr; "" is pageserver-<id>.pageserver
  int polls_left = 0;
  int warming_left = 0;         ///< reads until a re-attached node's first heartbeat makes it Active
  std::string policy_on_start;  ///< of a delete: restored when it is cancelled (service.rs:7446)
  bool removed = false;         ///< a finished delete: gone from the controller (service.rs:7575-7590)
};

struct ShardRec {
  int number = 0;
  std::optional<std::uint64_t> attached;
  std::vector<std::uint64_t> secondaries;
  std::string last_error;
  bool pending = false;
  bool splitting = false;
  int reconcile_left = 0;
  std::optional<std::string> preferred_az;  ///< set by PUT /control/v1/preferred_azs; else the node's zone
};

struct TenantRec {
  int count = 0;                  ///< 0: unsharded
  std::vector<int> other_counts;  ///< shard sets stored by creates with another count (schema.rs:85)
  std::uint32_t stripe = 2048;
  Json policy = Json{{"Attached", 0}};
  Json config = Json::object();
  std::vector<ShardRec> shards;
};

struct TimelineRec {
  std::string ancestor;
  std::string ancestor_lsn;
  int pg_version = 17;
};

bool is_hex32(const std::string& s) {
  return s.size() == 32 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string shard_name(const std::string& tenant, const TenantRec& t, const ShardRec& s) {
  return t.count == 0 ? tenant : fmt::format("{}-{:02x}{:02x}", tenant, s.number, t.count);
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    auto j = path.find('/', i);
    if (j == std::string::npos) {
      j = path.size();
    }
    if (j > i) {
      out.push_back(path.substr(i, j - i));
    }
    i = j + 1;
  }
  return out;
}

void reply(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& msg) { reply(res, status, Json{{"msg", msg}}); }

}  // namespace

struct FakeStorcon::State {
  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::map<std::uint64_t, NodeRec> nodes;
  std::map<std::string, TenantRec> tenants;
  std::map<std::string, std::map<std::string, TimelineRec>> timelines;
  std::map<std::uint64_t, std::pair<Json, std::string>> safekeepers;  // upsert body, policy
  int reconcile_polls = 0;
  int drain_polls = 1;
  int moves_per_read = 1;
  int splits = 0;
  int unschedulable_creates = 0;  ///< creates still to answer 409 "Failed to schedule"
  std::string lsn_by_timestamp = "0/169AD58";
  std::string lsn_kind = "present";
  std::size_t next_node = 0;
  std::string token;
  std::string jwt_public_pem;
  /// Safekeeper sets by "<tenant>/<timeline>": the controller's timelines table, filled only when it
  /// runs with --timelines-onto-safekeepers (safekeeper_service.rs:493-520).
  std::map<std::string, std::vector<std::uint64_t>> timeline_sks;
  std::size_t timeline_safekeeper_count = 3;
  std::vector<Fault> faults;
  std::vector<LoggedRequest> log;
  std::string cp_url;
  std::string cp_token;
  httplib::Server server;
  std::thread thread;
  int port = 0;

  // ---- helpers; the caller holds `mu` ----

  static bool schedulable(const NodeRec& n) { return n.availability == "Active" && n.scheduling == "Active"; }

  std::vector<std::uint64_t> schedulable_nodes() const {
    std::vector<std::uint64_t> out;
    for (const auto& [id, n] : nodes) {
      if (schedulable(n)) {
        out.push_back(id);
      }
    }
    return out;
  }

  void place(TenantRec& t, int secondaries) {
    auto candidates = schedulable_nodes();
    for (auto& s : t.shards) {
      if (candidates.empty()) {
        s.attached.reset();
        continue;
      }
      if (!s.attached) {
        s.attached = candidates[next_node++ % candidates.size()];
      }
      s.secondaries.erase(std::remove(s.secondaries.begin(), s.secondaries.end(), *s.attached), s.secondaries.end());
      for (std::size_t k = 0; k < candidates.size() && static_cast<int>(s.secondaries.size()) < secondaries; ++k) {
        const auto c = candidates[(next_node + k) % candidates.size()];
        if (c != *s.attached && std::find(s.secondaries.begin(), s.secondaries.end(), c) == s.secondaries.end()) {
          s.secondaries.push_back(c);
        }
      }
      if (static_cast<int>(s.secondaries.size()) > secondaries) {
        s.secondaries.resize(static_cast<std::size_t>(std::max(0, secondaries)));
      }
      s.reconcile_left = reconcile_polls;
    }
  }

  Json node_json(const NodeRec& n) const {
    const std::string host = n.host.empty() ? fmt::format("pageserver-{}.pageserver", n.id) : n.host;
    return Json{{"id", n.id},
                {"availability", n.availability},
                {"scheduling", n.scheduling},
                {"availability_zone_id", n.zone},
                {"listen_http_addr", host},
                {"listen_http_port", 9898},
                {"listen_https_port", nullptr},
                {"listen_pg_addr", host},
                {"listen_pg_port", 6400},
                {"listen_grpc_addr", nullptr},
                {"listen_grpc_port", nullptr}};
  }

  Json tenant_json(const std::string& id, TenantRec& t, bool consume) {
    Json shards = Json::array();
    for (auto& s : t.shards) {
      std::optional<std::string> az = s.preferred_az;
      if (!az && s.attached && nodes.count(*s.attached) != 0) {
        az = nodes.at(*s.attached).zone;
      }
      shards.push_back(Json{{"tenant_shard_id", shard_name(id, t, s)},
                            {"node_attached", s.attached ? Json(*s.attached) : Json()},
                            {"node_secondary", s.secondaries},
                            {"last_error", s.last_error},
                            {"is_reconciling", s.reconcile_left > 0},
                            {"is_pending_compute_notification", s.pending},
                            {"is_splitting", s.splitting},
                            {"is_importing", false},
                            {"scheduling_policy", "Active"},
                            {"preferred_az_id", az ? Json(*az) : Json()}});
      if (consume && s.reconcile_left > 0) {
        --s.reconcile_left;
      }
    }
    return Json{
        {"tenant_id", id}, {"shards", shards}, {"stripe_size", t.stripe}, {"policy", t.policy}, {"config", t.config}};
  }

  /// A drain moves `moves_per_read` shards per read of the node once its polls are used up, and
  /// only a shard with a secondary on another schedulable node (neon-api.md, Corrections:
  /// Attached(0) shards stay); when none is left to move the node becomes PauseForRestart
  /// (service.rs:9745-9752), whatever is still attached to it. A fill promotes the node's
  /// secondaries, taking shards from the node with the most, until it holds its share of the
  /// attached shards (service.rs fill_node), then it is Active again.
  void advance(NodeRec& n) {
    if (n.availability == "WarmingUp" && --n.warming_left <= 0) {
      n.availability = "Active";
    }
    if (n.scheduling == "Deleting") {
      advance_delete(n);
      return;
    }
    if (n.scheduling != "Draining" && n.scheduling != "Filling") {
      return;
    }
    if (n.polls_left > 1) {
      --n.polls_left;
      return;
    }
    for (int moved = 0; moved < moves_per_read; ++moved) {
      if (!(n.scheduling == "Filling" ? fill_one(n) : drain_one(n))) {
        n.scheduling = n.scheduling == "Filling" ? "Active" : "PauseForRestart";
        return;
      }
    }
  }

  bool drain_one(NodeRec& n) {
    for (auto& [tid, t] : tenants) {
      for (auto& s : t.shards) {
        if (s.attached != n.id) {
          continue;
        }
        for (auto sec : s.secondaries) {
          auto dest = nodes.find(sec);
          if (sec != n.id && dest != nodes.end() && schedulable(dest->second)) {
            s.secondaries.erase(std::find(s.secondaries.begin(), s.secondaries.end(), sec));
            s.secondaries.push_back(n.id);
            s.attached = sec;
            s.reconcile_left = reconcile_polls;
            return true;
          }
        }
      }
    }
    return false;
  }

  bool fill_one(NodeRec& n) {
    std::map<std::uint64_t, std::size_t> attached;
    std::size_t total = 0;
    for (const auto& [tid, t] : tenants) {
      for (const auto& s : t.shards) {
        if (s.attached) {
          ++attached[*s.attached];
          ++total;
        }
      }
    }
    const std::size_t share = nodes.empty() ? 0 : total / nodes.size();
    if (attached[n.id] >= share) {
      return false;
    }
    ShardRec* best = nullptr;
    for (auto& [tid, t] : tenants) {
      for (auto& s : t.shards) {
        const bool secondary_here = std::find(s.secondaries.begin(), s.secondaries.end(), n.id) != s.secondaries.end();
        if (secondary_here && s.attached && *s.attached != n.id &&
            (best == nullptr || attached[*s.attached] > attached[*best->attached])) {
          best = &s;
        }
      }
    }
    if (best == nullptr || attached[*best->attached] <= share) {
      return false;
    }
    best->secondaries.erase(std::find(best->secondaries.begin(), best->secondaries.end(), n.id));
    best->secondaries.push_back(*best->attached);
    best->attached = n.id;
    best->reconcile_left = reconcile_polls;
    return true;
  }

  /// A delete moves one attached shard per read to another schedulable node, then removes the
  /// node (service.rs:7432-7590: every shard rescheduled, then the tombstone).
  void advance_delete(NodeRec& n) {
    if (n.polls_left > 1) {
      --n.polls_left;
      return;
    }
    for (auto& [tid, t] : tenants) {
      for (auto& s : t.shards) {
        s.secondaries.erase(std::remove(s.secondaries.begin(), s.secondaries.end(), n.id), s.secondaries.end());
        if (s.attached != n.id) {
          continue;
        }
        for (const auto dest : schedulable_nodes()) {
          if (dest != n.id) {
            s.attached = dest;
            s.reconcile_left = reconcile_polls;
            return;
          }
        }
        return;  // nowhere to go yet: the delete waits
      }
    }
    n.removed = true;
  }

  std::optional<Fault> take_fault(const std::string& method, const std::string& path) {
    for (auto it = faults.begin(); it != faults.end(); ++it) {
      if ((it->method.empty() || it->method == method) && path.rfind(it->path_prefix, 0) == 0) {
        Fault f = *it;
        if (it->times > 0 && --it->times == 0) {
          faults.erase(it);
        }
        return f;
      }
    }
    return std::nullopt;
  }

  void handle(const httplib::Request& req, httplib::Response& res);
  void route(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>& seg);
  void route_node(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>& seg);
  void route_tenant(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>& seg);
  void route_v1(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>& seg);
  void route_safekeeper(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>& seg);
};

void FakeStorcon::State::handle(const httplib::Request& req, httplib::Response& res) {
  std::unique_lock<std::mutex> lock(mu);
  std::string full = req.path;
  if (!req.params.empty()) {
    std::string q;
    for (const auto& [k, v] : req.params) {
      q += (q.empty() ? "?" : "&") + k + "=" + v;
    }
    full += q;
  }
  log.push_back({req.method, full, req.body, req.get_header_value("Authorization")});
  static const std::set<std::string> open_paths = {"/status", "/ready", "/live", "/metrics"};
  if (!token.empty() && open_paths.count(req.path) == 0) {
    const std::string auth = req.get_header_value("Authorization");
    if (auth.empty() || auth.rfind("Bearer ", 0) != 0) {
      return reply_error(res, 401, "missing or malformed Authorization header");
    }
    if (auth.substr(7) != token) {
      return reply_error(res, 403, "JWT authentication error");
    }
  }
  if (!jwt_public_pem.empty() && open_paths.count(req.path) == 0) {
    const std::string auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) != 0) {
      return reply_error(res, 401, "missing or malformed Authorization header");
    }
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto claims = neon::cli::jwt::verify(auth.substr(7), jwt_public_pem, now);
    if (!claims) {
      return reply_error(res, 403, "JWT authentication error");
    }
    const std::string scope = claims->value("scope", "");
    if (scope != "admin" && scope != required_scope(req.method, req.path)) {
      return reply_error(res, 403, "Forbidden: JWT authentication error");
    }
  }
  if (auto fault = take_fault(req.method, req.path)) {
    switch (fault->kind) {
      case FaultKind::status:
        return reply_error(res, fault->status, fault->msg);
      case FaultKind::invalid_json:
        res.status = 200;
        res.set_content("{\"shards\": [ not json", "application/json");
        return;
      case FaultKind::hang:
        cv.wait_for(lock, std::chrono::seconds(60), [this] { return stopping; });
        return reply_error(res, 503, "hung request released");
      case FaultKind::close:
        res.set_chunked_content_provider("application/json", [](std::size_t, httplib::DataSink&) { return false; });
        return;
    }
  }
  const auto seg = split_path(req.path);
  if (!req.body.empty() && (req.method == "POST" || req.method == "PUT") &&
      Json::parse(req.body, nullptr, false).is_discarded()) {
    return reply_error(res, 400, "Failed to parse json request");
  }
  route(req, res, seg);
}

void FakeStorcon::State::route(const httplib::Request& req, httplib::Response& res,
                               const std::vector<std::string>& seg) {
  if (seg.size() == 1 && (seg[0] == "status" || seg[0] == "ready" || seg[0] == "live")) {
    return reply(res, 200, Json());
  }
  if (seg.size() >= 3 && seg[0] == "control" && seg[1] == "v1") {
    if (seg[2] == "node") {
      return route_node(req, res, seg);
    }
    if (seg[2] == "tenant") {
      return route_tenant(req, res, seg);
    }
    if (seg[2] == "safekeeper") {
      return route_safekeeper(req, res, seg);
    }
    // PUT /control/v1/preferred_azs (storage_controller/src/http.rs:1432-1449): a flat map of
    // tenant_shard_id to AZ or null; answers the shards it knows as `updated` (service.rs:10187-10215).
    if (seg.size() == 3 && seg[2] == "preferred_azs" && req.method == "PUT") {
      const Json body = Json::parse(req.body, nullptr, false);
      if (!body.is_object()) {
        return reply_error(res, 400, "malformed body");
      }
      Json updated = Json::array();
      for (auto& [id, t] : tenants) {
        for (auto& s : t.shards) {
          const std::string name = shard_name(id, t, s);
          if (auto it = body.find(name); it != body.end()) {
            s.preferred_az = it->is_string() ? std::optional<std::string>(it->get<std::string>()) : std::nullopt;
            updated.push_back(name);
          }
        }
      }
      return reply(res, 200, Json{{"updated", updated}});
    }
  }
  // GET /debug/v1/tenant/:t/timeline/:tl/locate (safekeeper_service.rs:493-520) and POST
  // /v1/tenant/:t/timeline/:tl/safekeeper_migrate (:1127-1200): the timeline's safekeeper set.
  if (seg.size() == 7 && seg[0] == "debug" && seg[2] == "tenant" && seg[6] == "locate" && req.method == "GET") {
    auto it = timeline_sks.find(seg[3] + "/" + seg[5]);
    if (it == timeline_sks.end()) {
      return reply_error(res, 404, fmt::format("Timeline {}/{} not found", seg[3], seg[5]));
    }
    return reply(res, 200, Json{{"generation", 1}, {"sk_set", it->second}, {"new_sk_set", nullptr}});
  }
  if (seg.size() == 6 && seg[0] == "v1" && seg[5] == "safekeeper_migrate" && req.method == "POST") {
    const Json body = Json::parse(req.body, nullptr, false);
    const auto wanted = body.value("new_sk_set", std::vector<std::uint64_t>{});
    for (const auto id : wanted) {
      if (safekeepers.count(id) == 0) {
        return reply_error(res, 400, fmt::format("safekeeper {} does not exist", id));
      }
    }
    if (wanted.empty()) {
      return reply_error(res, 400, "new safekeeper set is empty");
    }
    if (wanted.size() < timeline_safekeeper_count) {
      return reply_error(
          res, 400, fmt::format("new safekeeper set must have at least {} safekeepers", timeline_safekeeper_count));
    }
    auto it = timeline_sks.find(seg[2] + "/" + seg[4]);
    if (it == timeline_sks.end()) {
      return reply_error(res, 404, fmt::format("timeline {}/{} doesn't exist in timelines table", seg[2], seg[4]));
    }
    for (const auto id : wanted) {
      const bool current = std::find(it->second.begin(), it->second.end(), id) != it->second.end();
      if (!current && safekeepers.at(id).second == "Decomissioned") {
        return reply_error(res, 400, fmt::format("safekeeper {} is decomissioned", id));
      }
    }
    it->second = wanted;
    return reply(res, 200, Json());
  }
  if (seg.size() >= 2 && seg[0] == "v1" && seg[1] == "tenant") {
    return route_v1(req, res, seg);
  }
  reply_error(res, 404, "Not found");
}

void FakeStorcon::State::route_node(const httplib::Request& req, httplib::Response& res,
                                    const std::vector<std::string>& seg) {
  if (seg.size() == 3 && req.method == "GET") {
    Json out = Json::array();
    for (auto& [id, n] : nodes) {
      advance(n);
      if (!n.removed) {
        out.push_back(node_json(n));
      }
    }
    for (auto it = nodes.begin(); it != nodes.end();) {
      it = it->second.removed ? nodes.erase(it) : std::next(it);
    }
    return reply(res, 200, out);
  }
  if (seg.size() < 4) {
    return reply_error(res, 405, "method not allowed");
  }
  std::uint64_t id = 0;
  try {
    id = std::stoull(seg[3]);
  } catch (const std::exception&) {
    return reply_error(res, 400, "invalid node id");
  }
  auto it = nodes.find(id);
  if (it == nodes.end()) {
    return reply_error(res, 404, fmt::format("Node {} not found", id));
  }
  NodeRec& n = it->second;
  if (seg.size() == 4 && req.method == "GET") {
    advance(n);
    if (n.removed) {
      nodes.erase(it);
      return reply_error(res, 404, fmt::format("Node {} not found", id));
    }
    return reply(res, 200, node_json(n));
  }
  if (seg.size() == 5 && seg[4] == "delete" && req.method == "PUT") {
    // service.rs:8168-8265: one background operation at a time (412), a schedulable node to move
    // shards to (412), Active or Pause only (412), already deleting 409; http.rs:1124-1141 200 null.
    for (const auto& [other_id, other] : nodes) {
      if (other.scheduling == "Draining" || other.scheduling == "Filling" || other.scheduling == "Deleting") {
        if (other_id == id && other.scheduling == "Deleting") {
          return reply_error(res, 409, fmt::format("Node {} has delete in progress", id));
        }
        return reply_error(res, 412, fmt::format("Background operation already ongoing for node: {}", other_id));
      }
    }
    if (schedulable_nodes().empty()) {
      return reply_error(res, 412, "No other schedulable nodes to move shards");
    }
    if (n.scheduling != "Active" && n.scheduling != "Pause") {
      return reply_error(res, 412, fmt::format("Node {} cannot be deleted due to {} policy", id, n.scheduling));
    }
    n.policy_on_start = n.scheduling;
    n.scheduling = "Deleting";
    n.polls_left = drain_polls;
    return reply(res, 200, Json());
  }
  if (seg.size() == 5 && seg[4] == "delete" && req.method == "DELETE") {
    if (n.scheduling != "Deleting") {  // service.rs:8290-8302
      return reply_error(res, 412, fmt::format("Node {} has no delete in progress", id));
    }
    n.scheduling = n.policy_on_start;
    return reply(res, 202, Json());
  }
  const std::string what = seg.size() == 5 ? seg[4] : "";
  if (what == "shards" && req.method == "GET") {
    Json shards = Json::array();
    for (auto& [tid, t] : tenants) {
      for (auto& s : t.shards) {
        const bool sec = std::find(s.secondaries.begin(), s.secondaries.end(), id) != s.secondaries.end();
        if (s.attached == id || sec) {
          shards.push_back(Json{{"tenant_shard_id", shard_name(tid, t, s)},
                                {"is_observed_secondary", sec},
                                {"is_intended_secondary", sec}});
        }
      }
    }
    return reply(res, 200, Json{{"node_id", id}, {"shards", shards}});
  }
  if (what == "config" && req.method == "PUT") {
    auto body = Json::parse(req.body, nullptr, false);
    if (!body.is_object() || body.value("node_id", std::uint64_t{0}) != id) {
      return reply_error(res, 400, "node_id in the body does not match the path");
    }
    if (n.scheduling == "Draining" || n.scheduling == "Filling" || n.scheduling == "Deleting") {
      return reply_error(res, 412, "a drain, fill or delete is in progress");
    }
    n.availability = body.value("availability", n.availability);
    n.scheduling = body.value("scheduling", n.scheduling);
    return reply(res, 200, Json());
  }
  if ((what == "drain" || what == "fill") && (req.method == "PUT" || req.method == "DELETE")) {
    const std::string running = what == "drain" ? "Draining" : "Filling";
    if (req.method == "DELETE") {
      if (n.scheduling != running) {
        return reply_error(res, 412, fmt::format("Node {} has no {} in progress", id, what));
      }
      n.scheduling = "Active";
      return reply(res, 202, Json());
    }
    // service.rs:8305-8400 (drain) and :8443-8537 (fill): unavailable 503, already running 409,
    // any other policy than Active 412 (a drained node sits in PauseForRestart until it restarts).
    if (n.availability != "Active") {
      return reply_error(res, 503, fmt::format("Node {} is currently unavailable", id));
    }
    if (n.scheduling == running) {
      return reply_error(res, 409, fmt::format("Node {} has {} in progress", id, what));
    }
    if (n.scheduling != "Active") {
      return reply_error(res, 412,
                         fmt::format("Node {} cannot be {} due to {} policy", id,
                                     what == "drain" ? "drained" : "filled", n.scheduling));
    }
    n.scheduling = running;
    n.polls_left = drain_polls;
    return reply(res, 202, Json());
  }
  reply_error(res, 404, "Not found");
}

void FakeStorcon::State::route_tenant(const httplib::Request& req, httplib::Response& res,
                                      const std::vector<std::string>& seg) {
  if (seg.size() == 3 && req.method == "GET") {
    std::size_t limit = std::numeric_limits<std::size_t>::max();
    if (req.has_param("limit")) {
      limit = std::stoul(req.get_param_value("limit"));
    }
    auto it = req.has_param("start_after") ? tenants.upper_bound(req.get_param_value("start_after")) : tenants.begin();
    Json out = Json::array();
    for (; it != tenants.end() && out.size() < limit; ++it) {
      out.push_back(tenant_json(it->first, it->second, true));
    }
    return reply(res, 200, out);
  }
  if (seg.size() < 4) {
    return reply_error(res, 404, "Not found");
  }
  const std::string tid = seg[3].substr(0, 32);
  auto it = tenants.find(tid);
  if (it == tenants.end()) {
    return reply_error(res, 404, fmt::format("Tenant {} not found", tid));
  }
  TenantRec& t = it->second;
  if (seg.size() == 4 && req.method == "GET") {
    return reply(res, 200, tenant_json(tid, t, true));
  }
  const std::string what = seg.size() == 5 ? seg[4] : "";
  auto body = Json::parse(req.body.empty() ? "null" : req.body, nullptr, false);
  if (what == "policy" && req.method == "PUT") {
    if (!body.is_object()) {
      return reply_error(res, 400, "missing request body");
    }
    if (body.contains("placement")) {
      const Json& p = body["placement"];
      if (p == "Detached" || p == "Secondary") {
        for (auto& s : t.shards) {
          s.attached.reset();
          if (p == "Detached") {
            s.secondaries.clear();
          }
          s.reconcile_left = reconcile_polls;
        }
      } else if (p.is_object() && p.contains("Attached") && p["Attached"].is_number_unsigned()) {
        place(t, p["Attached"].get<int>());
      } else {
        return reply_error(res, 400, "invalid placement policy");
      }
      t.policy = p;
    }
    return reply(res, 200, Json());
  }
  if (what == "shard_split" && req.method == "PUT") {
    // TenantShardSplitRequest (models.rs:463-472); a smaller count than the shards' is 400, the same
    // count is done already (service.rs:6243-6254).
    if (!body.is_object() || !body.contains("new_shard_count") || !body["new_shard_count"].is_number_unsigned()) {
      return reply_error(res, 400, "missing field `new_shard_count`");
    }
    const int wanted = body["new_shard_count"].get<int>();
    const int current = std::max(1, t.count);
    if (wanted < current) {
      return reply_error(res, 400,
                         fmt::format("Requested count {} but already have shards at count {}", wanted, current));
    }
    if (wanted > current) {
      if (current == 1 && body.contains("new_stripe_size") && body["new_stripe_size"].is_number_unsigned()) {
        t.stripe = body["new_stripe_size"].get<std::uint32_t>();
      }
      t.count = wanted;
      t.shards.clear();
      for (int i = 0; i < wanted; ++i) {
        ShardRec s;
        s.number = i;
        t.shards.push_back(s);
      }
      place(t, t.policy.is_object() ? t.policy.value("Attached", 0) : 0);
      ++splits;
    }
    Json shards = Json::array();
    for (const auto& s : t.shards) {
      shards.push_back(shard_name(tid, t, s));
    }
    return reply(res, 200, Json{{"new_shards", shards}});
  }
  if (what == "migrate" && req.method == "PUT") {
    auto shard_it = std::find_if(t.shards.begin(), t.shards.end(),
                                 [&](const ShardRec& s) { return shard_name(tid, t, s) == seg[3]; });
    if (shard_it == t.shards.end()) {
      return reply_error(res, 404, fmt::format("Tenant shard {} not found", seg[3]));
    }
    if (!body.is_object() || !body.contains("node_id")) {
      return reply_error(res, 400, "missing field `node_id`");
    }
    const auto node = body["node_id"].get<std::uint64_t>();
    auto n = nodes.find(node);
    if (n == nodes.end()) {
      return reply_error(res, 400, fmt::format("Node {} not found", node));
    }
    if (!schedulable(n->second)) {
      return reply_error(res, 412,
                         fmt::format("Node {} is not available for scheduling ({} / {})", node, n->second.availability,
                                     n->second.scheduling));
    }
    auto& s = *shard_it;
    if (s.attached != node) {
      if (s.attached) {
        s.secondaries.push_back(*s.attached);
      }
      s.secondaries.erase(std::remove(s.secondaries.begin(), s.secondaries.end(), node), s.secondaries.end());
      s.attached = node;
      s.reconcile_left = reconcile_polls;
    }
    return reply(res, 200, Json::object());
  }
  reply_error(res, 404, "Not found");
}

void FakeStorcon::State::route_v1(const httplib::Request& req, httplib::Response& res,
                                  const std::vector<std::string>& seg) {
  auto body = Json::parse(req.body.empty() ? "null" : req.body, nullptr, false);
  if (seg.size() == 2 && req.method == "POST") {
    if (!body.is_object()) {
      return reply_error(res, 400, "missing request body");
    }
    const std::string id = body.value("new_tenant_id", "");
    if (!is_hex32(id)) {
      return reply_error(res, 400, fmt::format("invalid new_tenant_id \"{}\"", id));
    }
    TenantRec t;
    for (const auto& [k, v] : body.items()) {
      if (k == "shard_parameters") {
        if (!v.contains("count") || !v.contains("stripe_size") || v.size() != 2) {
          return reply_error(res, 400, "shard_parameters needs exactly count and stripe_size");
        }
        t.count = v["count"].get<int>();
        t.stripe = v["stripe_size"].get<std::uint32_t>();
      } else if (k == "placement_policy") {
        t.policy = v;
      } else if (k != "new_tenant_id" && k != "generation") {
        t.config[k] = v;
      }
    }
    // Shards are stored first, then scheduled (service.rs:2720-2777). The same id with another
    // shard count stores a second set, as the real controller would (schema.rs:85); the fake only
    // records it. Existing shards are scheduled again ("idempotent creation", :2726-2736).
    auto existing = tenants.find(id);
    if (existing != tenants.end()) {
      if (existing->second.count != t.count) {
        existing->second.other_counts.push_back(t.count);
      }
    } else {
      for (int i = 0; i < std::max(1, t.count); ++i) {
        ShardRec s;
        s.number = i;
        t.shards.push_back(s);
      }
      existing = tenants.emplace(id, std::move(t)).first;
    }
    TenantRec& stored = existing->second;
    if (stored.policy.is_object()) {
      const int wanted = stored.policy.value("Attached", 0);
      const auto candidates = schedulable_nodes();
      std::string reason;
      if (unschedulable_creates > 0 || candidates.empty()) {
        reason = "No pageservers found";
      } else if (static_cast<int>(candidates.size()) < 1 + wanted) {
        reason = "No pageserver found matching constraint";
      }
      if (!reason.empty()) {
        unschedulable_creates = std::max(0, unschedulable_creates - 1);
        return reply_error(res, 409, "Failed to schedule shard(s): " + reason);
      }
      bool unplaced = false;
      for (const auto& s : stored.shards) {
        unplaced = unplaced || !s.attached;
      }
      if (unplaced) {
        place(stored, wanted);
      }
    }
    Json shards = Json::array();
    for (const auto& s : existing->second.shards) {
      shards.push_back(Json{{"shard_id", shard_name(id, existing->second, s)},
                            {"node_id", s.attached ? Json(*s.attached) : Json()},
                            {"generation", 1}});
    }
    return reply(res, 201, Json{{"shards", shards}});
  }
  if (seg.size() == 3 && seg[2] == "config" && req.method == "PUT") {
    // TenantConfigRequest {tenant_id, ...TenantConfig}: replaces the whole config (models.rs:1410-1414).
    if (!body.is_object() || !body.contains("tenant_id")) {
      return reply_error(res, 400, "missing field `tenant_id`");
    }
    auto t = tenants.find(body["tenant_id"].get<std::string>());
    if (t == tenants.end()) {
      return reply_error(res, 404, fmt::format("Tenant {} not found", body["tenant_id"].get<std::string>()));
    }
    body.erase("tenant_id");
    t->second.config = body;
    return reply(res, 200, Json());
  }
  if (seg.size() == 3 && req.method == "DELETE") {
    // service.rs:3649 tenant_delete: the tenant and its timelines go; 200 once done.
    if (tenants.erase(seg[2]) == 0) {
      return reply_error(res, 404, fmt::format("Tenant {} not found", seg[2]));
    }
    timelines.erase(seg[2]);
    return reply(res, 200, Json());
  }
  if (seg.size() < 4) {
    return reply_error(res, 404, "Not found");
  }
  const std::string tid = seg[2];
  if (tenants.count(tid) == 0) {
    return reply_error(res, 404, fmt::format("Tenant {} not found", tid));
  }
  auto& tls = timelines[tid];
  if (seg.size() == 4 && seg[3] == "timeline" && req.method == "GET") {
    Json out = Json::array();
    for (const auto& [id, r] : tls) {
      out.push_back(Json{{"tenant_id", tid},
                         {"timeline_id", id},
                         {"ancestor_timeline_id", r.ancestor.empty() ? Json() : Json(r.ancestor)},
                         {"ancestor_lsn", r.ancestor_lsn.empty() ? Json() : Json(r.ancestor_lsn)},
                         {"last_record_lsn", "0/169AD58"},
                         {"pg_version", r.pg_version},
                         {"state", "Active"}});
    }
    return reply(res, 200, out);
  }
  if (seg.size() == 5 && seg[3] == "timeline" && req.method == "DELETE") {
    // A timeline with children is 412 (pageserver/src/http/routes.rs:318-321); an unknown one is
    // done, 200 (storage_controller/src/http.rs:472-540 turns the pageserver's 404 into 200).
    for (const auto& [id, r] : tls) {
      if (r.ancestor == seg[4]) {
        return reply_error(res, 412, fmt::format("Cannot delete timeline which has child timelines: [{}]", id));
      }
    }
    tls.erase(seg[4]);
    return reply(res, 200, Json());
  }
  if (seg.size() == 4 && seg[3] == "timeline" && req.method == "POST") {
    if (!body.is_object() || !is_hex32(body.value("new_timeline_id", ""))) {
      return reply_error(res, 400, "missing or invalid new_timeline_id");
    }
    TimelineRec rec;
    rec.ancestor = body.value("ancestor_timeline_id", "");
    rec.ancestor_lsn = body.value("ancestor_start_lsn", "");
    rec.pg_version = body.value("pg_version", 17);
    if (!rec.ancestor.empty() && tls.count(rec.ancestor) == 0) {
      // neon-api.md, Corrections: an unknown ancestor gives 409.
      return reply_error(res, 409, fmt::format("ancestor timeline {} not found", rec.ancestor));
    }
    const std::string tl = body["new_timeline_id"].get<std::string>();
    auto existing = tls.find(tl);
    if (existing != tls.end()) {
      const auto& e = existing->second;
      const bool same = e.ancestor == rec.ancestor && e.ancestor_lsn == rec.ancestor_lsn &&
                        (!rec.ancestor.empty() || e.pg_version == rec.pg_version);
      if (!same) {
        return reply_error(res, 409, fmt::format("Timeline {} already exists with different parameters", tl));
      }
    } else {
      tls.emplace(tl, rec);
    }
    return reply(res, 201,
                 Json{{"tenant_id", tid},
                      {"timeline_id", tl},
                      {"ancestor_timeline_id", rec.ancestor.empty() ? Json() : Json(rec.ancestor)},
                      {"pg_version", rec.pg_version},
                      {"safekeepers", nullptr}});
  }
  if (seg.size() >= 5 && seg[3] == "timeline" && req.method == "GET") {
    auto tl = tls.find(seg[4]);
    if (tl == tls.end()) {
      return reply_error(res, 404, fmt::format("Timeline {} not found", seg[4]));
    }
    if (seg.size() == 6 && seg[5] == "get_lsn_by_timestamp") {
      if (!req.has_param("timestamp")) {
        return reply_error(res, 400, "no timestamp parameter");
      }
      return reply(res, 200, Json{{"lsn", lsn_by_timestamp}, {"kind", lsn_kind}});
    }
    if (seg.size() == 5) {
      const auto& r = tl->second;
      return reply(res, 200,
                   Json{{"tenant_id", tid},
                        {"timeline_id", seg[4]},
                        {"ancestor_timeline_id", r.ancestor.empty() ? Json() : Json(r.ancestor)},
                        {"ancestor_lsn", r.ancestor_lsn.empty() ? Json() : Json(r.ancestor_lsn)},
                        {"last_record_lsn", "0/169AD58"},
                        {"pg_version", r.pg_version},
                        {"state", "Active"}});
    }
  }
  reply_error(res, 404, "Not found");
}

void FakeStorcon::State::route_safekeeper(const httplib::Request& req, httplib::Response& res,
                                          const std::vector<std::string>& seg) {
  if (seg.size() == 3 && req.method == "GET") {
    Json out = Json::array();
    for (const auto& [id, sk] : safekeepers) {
      Json j = sk.first;
      j["scheduling_policy"] = sk.second;
      out.push_back(j);
    }
    return reply(res, 200, out);
  }
  if (seg.size() < 4) {
    return reply_error(res, 404, "Not found");
  }
  std::uint64_t id = 0;
  try {
    id = std::stoull(seg[3]);
  } catch (const std::exception&) {
    return reply_error(res, 400, "invalid safekeeper id");
  }
  auto body = Json::parse(req.body.empty() ? "null" : req.body, nullptr, false);
  if (seg.size() == 4 && req.method == "POST") {
    if (!body.is_object()) {
      return reply_error(res, 400, "missing request body");
    }
    if (id == 0 || body.value("id", std::uint64_t{0}) != id) {
      return reply_error(res, 400, "id in the body must equal the path and be > 0");
    }
    for (const char* key : {"region_id", "version", "host", "port", "http_port", "availability_zone_id"}) {
      if (!body.contains(key)) {
        return reply_error(res, 400, fmt::format("missing field `{}`", key));
      }
    }
    Json rec{{"id", id},
             {"region_id", body["region_id"]},
             {"version", body["version"]},
             {"host", body["host"]},
             {"port", body["port"]},
             {"http_port", body["http_port"]},
             {"https_port", body.value("https_port", Json())},
             {"availability_zone_id", body["availability_zone_id"]}};
    auto it = safekeepers.find(id);
    const std::string policy = it == safekeepers.end() ? "Activating" : it->second.second;
    safekeepers[id] = {rec, policy};
    res.status = 204;
    return;
  }
  auto it = safekeepers.find(id);
  if (it == safekeepers.end()) {
    return reply_error(res, 404, "unknown instance id");
  }
  if (seg.size() == 4 && req.method == "GET") {
    Json j = it->second.first;
    j["scheduling_policy"] = it->second.second;
    return reply(res, 200, j);
  }
  if (seg.size() == 5 && seg[4] == "scheduling_policy" && req.method == "POST") {
    static const std::set<std::string> ok = {"Active", "Activating", "Pause", "Decomissioned"};
    if (!body.is_object() || !body.contains("scheduling_policy") || !body["scheduling_policy"].is_string() ||
        ok.count(body["scheduling_policy"].get<std::string>()) == 0) {
      return reply_error(res, 400, "invalid scheduling_policy");
    }
    it->second.second = body["scheduling_policy"].get<std::string>();
    return reply(res, 200, Json());
  }
  reply_error(res, 404, "Not found");
}

FakeStorcon::FakeStorcon() : m_state(std::make_unique<State>()) {
  State* st = m_state.get();
  auto h = [st](const httplib::Request& req, httplib::Response& res) { st->handle(req, res); };
  st->server.Get(".*", h);
  st->server.Post(".*", h);
  st->server.Put(".*", h);
  st->server.Delete(".*", h);
  st->server.Patch(".*", h);
  // Without TCP_NODELAY every answer on a kept-alive connection waits about 40 ms (Nagle's
  // algorithm against the client's delayed ACK), which benches would count as the client's.
  st->server.set_tcp_nodelay(true);
  // The compute hook asks for a tenant on every notify-attach; httplib's own backlog of 5 would
  // drop connections of a burst.
  st->port = cli::hook::bind_http_server(st->server, "127.0.0.1", 0);
  st->thread = std::thread([st] { st->server.listen_after_bind(); });
  // stop() before the accept loop has started would be lost and the join would hang.
  while (!st->server.is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

FakeStorcon::~FakeStorcon() {
  {
    std::lock_guard<std::mutex> lock(m_state->mu);
    m_state->stopping = true;
  }
  m_state->cv.notify_all();
  m_state->server.stop();
  if (m_state->thread.joinable()) {
    m_state->thread.join();
  }
}

int FakeStorcon::port() const { return m_state->port; }
std::string FakeStorcon::url() const { return fmt::format("http://127.0.0.1:{}", m_state->port); }

void FakeStorcon::add_node(std::uint64_t id, const std::string& zone, const std::string& availability,
                           const std::string& scheduling) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  NodeRec n;
  n.id = id;
  n.zone = zone;
  n.availability = availability;
  n.scheduling = scheduling;
  m_state->nodes[id] = n;
}

void FakeStorcon::set_node_host(std::uint64_t id, const std::string& host) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->nodes.at(id).host = host;
}

void FakeStorcon::set_safekeeper_host(std::uint64_t id, const std::string& host) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->safekeepers.at(id).first["host"] = host;
}

void FakeStorcon::set_node(std::uint64_t id, const std::string& availability, const std::string& scheduling) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  auto& n = m_state->nodes.at(id);
  n.availability = availability;
  n.scheduling = scheduling;
}

void FakeStorcon::add_safekeeper(std::uint64_t id, const std::string& zone, const std::string& policy) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->safekeepers[id] = {Json{{"id", id},
                                   {"region_id", "default"},
                                   {"version", 1},
                                   {"host", fmt::format("safekeeper-{}.safekeeper", id)},
                                   {"port", 5454},
                                   {"http_port", 7676},
                                   {"https_port", nullptr},
                                   {"availability_zone_id", zone}},
                              policy};
}

void FakeStorcon::add_tenant(const std::string& tenant_id, int shard_count, int secondaries) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  TenantRec t;
  t.count = shard_count > 1 ? shard_count : 0;
  t.policy = Json{{"Attached", secondaries}};
  for (int i = 0; i < std::max(1, shard_count); ++i) {
    ShardRec s;
    s.number = i;
    t.shards.push_back(s);
  }
  const int saved = m_state->reconcile_polls;
  m_state->reconcile_polls = 0;
  m_state->place(t, secondaries);
  m_state->reconcile_polls = saved;
  m_state->tenants[tenant_id] = std::move(t);
}

void FakeStorcon::add_timeline(const std::string& tenant_id, const std::string& timeline_id,
                               const std::string& ancestor, const std::string& ancestor_lsn) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->timelines[tenant_id][timeline_id] = TimelineRec{ancestor, ancestor_lsn, 17};
}

void FakeStorcon::set_pending_notification(const std::string& tenant_id, bool pending) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  for (auto& s : m_state->tenants.at(tenant_id).shards) {
    s.pending = pending;
  }
}

void FakeStorcon::set_splitting(const std::string& tenant_id, bool splitting) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  for (auto& s : m_state->tenants.at(tenant_id).shards) {
    s.splitting = splitting;
  }
}

void FakeStorcon::set_last_error(const std::string& tenant_id, const std::string& error) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  for (auto& s : m_state->tenants.at(tenant_id).shards) {
    s.last_error = error;
  }
}

void FakeStorcon::set_reconcile_polls(int polls) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->reconcile_polls = polls;
}

void FakeStorcon::set_drain_polls(int polls) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->drain_polls = std::max(1, polls);
}

void FakeStorcon::fail_scheduling(int creates) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->unschedulable_creates = creates;
}

void FakeStorcon::set_lsn_by_timestamp(const std::string& lsn, const std::string& kind) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->lsn_by_timestamp = lsn;
  m_state->lsn_kind = kind;
}

void FakeStorcon::set_moves_per_read(int moves) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->moves_per_read = std::max(1, moves);
}

void FakeStorcon::reattach_node(std::uint64_t id, int warming_reads) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  auto& n = m_state->nodes.at(id);
  n.availability = warming_reads > 0 ? "WarmingUp" : "Active";
  n.warming_left = warming_reads;
  if (n.scheduling == "PauseForRestart" || n.scheduling == "Draining" || n.scheduling == "Filling" ||
      n.scheduling == "Deleting") {
    n.scheduling = "Active";
  }
}

std::vector<int> FakeStorcon::shard_sets(const std::string& tenant_id) const {
  std::lock_guard<std::mutex> lock(m_state->mu);
  auto it = m_state->tenants.find(tenant_id);
  if (it == m_state->tenants.end()) {
    return {};
  }
  std::vector<int> out{std::max(1, it->second.count)};
  for (int c : it->second.other_counts) {
    out.push_back(std::max(1, c));
  }
  return out;
}

void FakeStorcon::set_timeline_safekeepers(const std::string& tenant_id, const std::string& timeline_id,
                                           std::vector<std::uint64_t> ids) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->timeline_sks[tenant_id + "/" + timeline_id] = std::move(ids);
}

std::vector<std::uint64_t> FakeStorcon::timeline_safekeepers(const std::string& tenant_id,
                                                             const std::string& timeline_id) const {
  std::lock_guard<std::mutex> lock(m_state->mu);
  auto it = m_state->timeline_sks.find(tenant_id + "/" + timeline_id);
  return it == m_state->timeline_sks.end() ? std::vector<std::uint64_t>{} : it->second;
}

void FakeStorcon::require_jwt(const std::string& public_pem) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->jwt_public_pem = public_pem;
}

std::string FakeStorcon::required_scope(const std::string& method, const std::string& path) {
  const auto seg = split_path(path);
  if (!seg.empty() && seg[0] == "v1") {
    return "pageserverapi";  // §2.4, §2.6
  }
  if (!seg.empty() && seg[0] == "upcall") {
    return "generations_api";  // §2.9
  }
  if (seg.size() < 3 || seg[0] != "control" || seg[1] != "v1") {
    return "admin";  // /debug and the rest (§2.8)
  }
  const std::string& what = seg[2];
  if (what == "step_down") {
    return "controller_peer";
  }
  if (what == "node") {  // §2.3
    if (seg.size() <= 4) {
      return method == "DELETE" ? "admin" : "infra";
    }
    const std::string& action = seg[4];
    if (action == "drain" || action == "fill") {
      return "infra";
    }
    if (action == "delete") {
      return method == "DELETE" ? "infra" : "admin";
    }
    return "admin";  // config, shards
  }
  if (what == "safekeeper") {  // §2.7
    return seg.size() == 5 && seg[4] == "scheduling_policy" ? "admin" : "infra";
  }
  if (what == "tenant") {  // §2.5
    if (seg.size() == 4 && method == "GET") {
      return "scrubber";
    }
    if (seg.size() == 6 && seg[4] == "timeline" && method == "GET") {
      return "scrubber";
    }
    return "admin";
  }
  return "admin";
}

void FakeStorcon::require_token(const std::string& token) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->token = token;
}

void FakeStorcon::add_fault(Fault fault) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->faults.push_back(std::move(fault));
}

void FakeStorcon::clear_faults() {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->faults.clear();
}

void FakeStorcon::set_control_plane(const std::string& url_prefix, const std::string& token) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->cp_url = url_prefix;
  m_state->cp_token = token;
}

Json FakeStorcon::notify_attach_body(const std::string& tenant_id) const {
  std::lock_guard<std::mutex> lock(m_state->mu);
  const auto& t = m_state->tenants.at(tenant_id);
  Json shards = Json::array();
  Json az;
  for (const auto& s : t.shards) {
    if (!s.attached) {
      continue;
    }
    if (az.is_null() && m_state->nodes.count(*s.attached) != 0) {
      az = m_state->nodes.at(*s.attached).zone;
    }
    shards.push_back(Json{{"node_id", *s.attached}, {"shard_number", s.number}});
  }
  Json body = Json::object();
  body["tenant_id"] = tenant_id;
  body["preferred_az"] = az;
  body["stripe_size"] = t.count > 1 ? Json(t.stripe) : Json();
  body["shards"] = shards;
  return body;
}

int FakeStorcon::notify_attach(const std::string& tenant_id) {
  const Json body = notify_attach_body(tenant_id);
  std::string url;
  std::string token;
  {
    std::lock_guard<std::mutex> lock(m_state->mu);
    url = m_state->cp_url;
    token = m_state->cp_token;
  }
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  const auto scheme = url.find("://");
  const auto path_start = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  const std::string origin = path_start == std::string::npos ? url : url.substr(0, path_start);
  const std::string prefix = path_start == std::string::npos ? "" : url.substr(path_start);
  httplib::Client client(origin);
  client.set_connection_timeout(10);
  client.set_read_timeout(10);
  httplib::Headers headers;
  if (!token.empty()) {
    headers.emplace("Authorization", "Bearer " + token);
  }
  auto res = client.Put((prefix + "/notify-attach").c_str(), headers, body.dump(), "application/json");
  return res ? res->status : -1;
}

std::vector<FakeStorcon::LoggedRequest> FakeStorcon::requests() const {
  std::lock_guard<std::mutex> lock(m_state->mu);
  return m_state->log;
}

void FakeStorcon::clear_requests() {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->log.clear();
}

Json FakeStorcon::tenant(const std::string& tenant_id) const {
  std::lock_guard<std::mutex> lock(m_state->mu);
  auto it = m_state->tenants.find(tenant_id);
  return it == m_state->tenants.end() ? Json() : m_state->tenant_json(tenant_id, it->second, false);
}

Json FakeStorcon::node(std::uint64_t id) const {
  std::lock_guard<std::mutex> lock(m_state->mu);
  auto it = m_state->nodes.find(id);
  return it == m_state->nodes.end() ? Json() : m_state->node_json(it->second);
}

Json FakeStorcon::safekeeper(std::uint64_t id) const {
  std::lock_guard<std::mutex> lock(m_state->mu);
  auto it = m_state->safekeepers.find(id);
  if (it == m_state->safekeepers.end()) {
    return Json();
  }
  Json j = it->second.first;
  j["scheduling_policy"] = it->second.second;
  return j;
}

Json FakeStorcon::timelines(const std::string& tenant_id) const {
  std::lock_guard<std::mutex> lock(m_state->mu);
  Json out = Json::object();
  auto it = m_state->timelines.find(tenant_id);
  if (it == m_state->timelines.end()) {
    return out;
  }
  for (const auto& [id, r] : it->second) {
    out[id] =
        Json{{"ancestor_timeline_id", r.ancestor}, {"ancestor_lsn", r.ancestor_lsn}, {"pg_version", r.pg_version}};
  }
  return out;
}

}  // namespace neon::test
