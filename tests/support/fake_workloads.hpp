#pragma once
// The workload side of the fake Kubernetes API (tests/support/fake_kube_api.hpp): pods,
// StatefulSets, Deployments and CronJobs, listed by label selector, and pod deletion with the StatefulSet
// controller's answer to it. A deleted pod of a StatefulSet stays listed as terminating
// (metadata.deletionTimestamp) for a few lists, then comes back under the same name with a new uid,
// the set's status.updateRevision as its controller-revision-hash, and Ready after a few more lists
// (kube-controller-manager re-creates a StatefulSet's missing ordinals at updateRevision; with
// OnDelete that is the only way a pod gets the new template). Counting lists instead of time keeps
// tests deterministic.

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace neon::test {

class FakeWorkloads {
public:
  using Labels = std::map<std::string, std::string>;
  /// Called (outside the lock) with namespace and pod name.
  using PodEvent = std::function<void(const std::string&, const std::string&)>;

  void add_pod(const std::string& ns, const std::string& name, const Labels& labels, const std::string& phase,
               bool ready);
  /// A pod whose one container has ended (a Job's): phase Succeeded for exit code 0, else Failed,
  /// with state.terminated holding the exit code, reason, termination message and finishedAt.
  void add_finished_pod(const std::string& ns, const std::string& name, const Labels& labels, int exit_code,
                        const std::string& reason, const std::string& message, const std::string& finished_at);
  void add_statefulset(const std::string& ns, const std::string& name, const Labels& labels,
                       const std::string& strategy, const std::string& update_revision);
  /// A new template reached the cluster: status.updateRevision changes, pods keep theirs.
  void set_update_revision(const std::string& ns, const std::string& set, const std::string& revision);
  /// A Deployment with its rollout status (generation and observedGeneration 1).
  void add_deployment(const std::string& ns, const std::string& name, const Labels& labels, int replicas, int updated,
                      int available);
  /// A new template: the Deployment's status shows `updated` replicas on it, `available` available.
  void set_deployment(const std::string& ns, const std::string& name, int updated, int available);
  /// The Deployment's rollout reaches all replicas after `lists` more lists of Deployments.
  void finish_deployment_after(const std::string& ns, const std::string& name, int lists);

  /// GET .../deployments/<name>/scale: 200 with an autoscaling/v1 Scale, or 404.
  int get_scale(const std::string& ns, const std::string& name, nlohmann::json& body) const;
  /// PATCH .../deployments/<name>/scale with a merge patch setting spec.replicas: 200 with the Scale,
  /// 404, or 422 for a patch without a whole number of replicas. Calls on_scaled when the number changes.
  int patch_scale(const std::string& ns, const std::string& name, const nlohmann::json& patch, nlohmann::json& body);
  /// Called (outside the lock) with namespace, Deployment and its new spec.replicas.
  void on_scaled(std::function<void(const std::string&, const std::string&, int)> fn);
  /// spec.replicas of a Deployment; -1 when there is none.
  int replicas(const std::string& ns, const std::string& name) const;

  /// How many pod lists a deleted pod stays terminating, then how many it is back but not Ready.
  void set_restart_lists(int terminating, int not_ready);
  /// The next re-creation of this pod never becomes Ready (a crash loop), until unstick().
  void stick(const std::string& ns, const std::string& pod);
  void unstick(const std::string& ns, const std::string& pod);
  /// When a pod is deleted, and when its replacement becomes Ready.
  void on_deleted(PodEvent fn);
  void on_ready(PodEvent fn);

  /// An event (core/v1 Event) listed by GET /api/v1/namespaces/<ns>/events.
  void add_event(const std::string& ns, const std::string& object, const std::string& reason,
                 const std::string& message);
  /// A batch/v1 CronJob, listed by GET /apis/batch/v1/namespaces/<ns>/cronjobs.
  void add_cronjob(const std::string& ns, const std::string& name, const Labels& labels, const std::string& schedule,
                   bool suspend);
  /// Whether `ns` has a pod `name` (terminating ones too).
  bool has_pod(const std::string& ns, const std::string& name) const;

  /// The List object of `kind` (PodList, StatefulSetList, DeploymentList, EventList, CronJobList) in `ns`.
  nlohmann::json list(const std::string& kind, const std::string& ns, const std::string& selector);
  /// DELETE of a pod: 200 with the pod, or 404.
  int delete_pod(const std::string& ns, const std::string& name, nlohmann::json& body);
  /// Names of the pods deleted so far, in order.
  std::vector<std::string> deleted_pods() const;

private:
  struct PodRec {
    nlohmann::json object;
    std::string owner;  ///< the StatefulSet that re-creates it, or ""
    int terminating_left = -1;
    int not_ready_left = -1;
  };
  struct DeploymentRec {
    nlohmann::json object;
    int finish_in = -1;
  };
  /// One list of pods: moves every restarting pod one step on; names of pods that became Ready.
  std::vector<std::string> tick_pods(const std::string& ns);

  mutable std::mutex m_mu;
  std::map<std::string, std::vector<PodRec>> m_pods;
  std::map<std::string, std::vector<nlohmann::json>> m_sets;
  std::map<std::string, std::vector<DeploymentRec>> m_deployments;
  std::map<std::string, std::vector<nlohmann::json>> m_events;
  std::map<std::string, std::vector<nlohmann::json>> m_cronjobs;
  std::set<std::string> m_stuck;  ///< "ns/pod"
  std::vector<std::string> m_deleted;
  int m_terminating_lists = 1;
  int m_not_ready_lists = 1;
  long m_uid = 1000;
  PodEvent m_on_deleted;
  PodEvent m_on_ready;
  std::function<void(const std::string&, const std::string&, int)> m_on_scaled;
};

/// Equality-based selectors ("a=b,c!=d,e") as the API server evaluates them.
bool selector_matches(const std::string& selector, const std::map<std::string, std::string>& labels);

}  // namespace neon::test
