#include "generators/dev_extras.hpp"

#include <fmt/format.h>

#include "generators/names.hpp"
#include "generators/storage_broker.hpp"

namespace neon::gen {
namespace {

constexpr const char* k_postgres_component = "dev-postgres";
constexpr const char* k_minio_component = "dev-minio";
constexpr const char* k_bucket_job = "minio-create-bucket";

Json restricted_container_security() {
  Json security = container_security_context();
  security["readOnlyRootFilesystem"] = true;
  return security;
}

Json exec_probe(const Json& command, int period_seconds, int failure_threshold) {
  return Json{{"exec", Json{{"command", command}}},
              {"periodSeconds", period_seconds},
              {"timeoutSeconds", 3},
              {"failureThreshold", failure_threshold}};
}

Json postgres_container(const ClusterSpec& s) {
  const Resources defaults{{{"cpu", "100m"}, {"memory", "256Mi"}}, {{"memory", "1Gi"}}};
  const Json ready = Json::array({"pg_isready", "-h", "127.0.0.1", "-U", names::k_controller_db_user, "-d",
                                  names::k_controller_db_name});
  return Json{
      {"name", "postgres"},
      {"image", s.images.postgres},
      {"env", Json::array({Json{{"name", "POSTGRES_HOST_AUTH_METHOD"}, {"value", "trust"}},
                           Json{{"name", "POSTGRES_USER"}, {"value", names::k_controller_db_user}},
                           // The controller does not create its database, so initdb does.
                           Json{{"name", "POSTGRES_DB"}, {"value", names::k_controller_db_name}},
                           // A subfolder: the volume root may hold lost+found, which initdb rejects.
                           Json{{"name", "PGDATA"}, {"value", "/var/lib/postgresql/data/pgdata"}}})},
      {"ports", Json::array({Json{{"name", "postgres"}, {"containerPort", names::k_postgres_port}, {"protocol", "TCP"}}})},
      {"readinessProbe", exec_probe(ready, 5, 3)},
      {"livenessProbe", exec_probe(ready, 10, 6)},
      {"resources", resources_json(Resources{}, defaults)},
      {"securityContext", restricted_container_security()},
      {"volumeMounts", Json::array({Json{{"name", "data"}, {"mountPath", "/var/lib/postgresql/data"}},
                                    Json{{"name", "run"}, {"mountPath", "/var/run/postgresql"}},
                                    Json{{"name", "tmp"}, {"mountPath", "/tmp"}}})}};
}

Json empty_dir(const std::string& name) { return Json{{"name", name}, {"emptyDir", Json::object()}}; }

Json service(const std::string& name, const std::string& component, const std::string& port_name, int port) {
  return Json{{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", object_meta(name, component, Wave::storage)},
              {"spec", Json{{"type", "ClusterIP"},
                            {"selector", selector_labels(name, component)},
                            {"ports", Json::array({service_port(port_name, port)})}}}};
}

Json minio_credentials_env(const ClusterSpec& s, const char* user_var, const char* password_var) {
  return Json::array({env_from_secret(user_var, s.object_storage.credentials_secret, names::k_s3_access_key),
                      env_from_secret(password_var, s.object_storage.credentials_secret, names::k_s3_secret_key)});
}

Json minio_env(const ClusterSpec& s) {
  Json env = minio_credentials_env(s, "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD");
  // Its config and certs folders live under $HOME; the root filesystem is read-only.
  env.push_back(Json{{"name", "HOME"}, {"value", "/tmp"}});
  return env;
}

Json minio_deployment(const ClusterSpec& s) {
  const std::string name = names::k_minio;
  const Json selector = selector_labels(name, k_minio_component);
  const Resources defaults{{{"cpu", "100m"}, {"memory", "256Mi"}}, {{"memory", "1Gi"}}};
  Json container{
      {"name", "minio"},
      {"image", s.images.minio},
      {"command", Json::array({"minio"})},
      {"args", Json::array({"server", "/data", fmt::format("--address=:{}", names::k_minio_port),
                            "--console-address=:9001"})},
      {"env", minio_env(s)},
      {"ports", Json::array({Json{{"name", "s3"}, {"containerPort", names::k_minio_port}, {"protocol", "TCP"}}})},
      {"readinessProbe", http_probe("/minio/health/ready", "s3", 5, 3)},
      {"livenessProbe", http_probe("/minio/health/live", "s3", 10, 6)},
      {"resources", resources_json(Resources{}, defaults)},
      {"securityContext", restricted_container_security()},
      {"volumeMounts", Json::array({Json{{"name", "data"}, {"mountPath", "/data"}},
                                    Json{{"name", "tmp"}, {"mountPath", "/tmp"}}})}};
  Json pod_spec{{"automountServiceAccountToken", false},
                {"securityContext", pod_security_context(k_minio_uid)},
                {"containers", Json::array({container})},
                {"volumes", Json::array({Json{{"name", "data"},
                                              {"persistentVolumeClaim", Json{{"claimName", "minio-data"}}}},
                                         empty_dir("tmp")})}};
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", object_meta(name, k_minio_component, Wave::storage)},
              {"spec", Json{{"replicas", 1},
                            {"revisionHistoryLimit", 3},
                            // One ReadWriteOnce volume: the old pod must go before the new one mounts it.
                            {"strategy", Json{{"type", "Recreate"}}},
                            {"selector", Json{{"matchLabels", selector}}},
                            {"template", Json{{"metadata", Json{{"labels", common_labels(name, k_minio_component)}}},
                                              {"spec", pod_spec}}}}}};
}

Json minio_pvc() {
  return Json{{"apiVersion", "v1"},
              {"kind", "PersistentVolumeClaim"},
              {"metadata", object_meta("minio-data", k_minio_component, Wave::storage)},
              {"spec", Json{{"accessModes", Json::array({"ReadWriteOnce"})},
                            {"resources", Json{{"requests", Json{{"storage", "10Gi"}}}}}}}};
}

Json bucket_job(const ClusterSpec& s) {
  Json env = minio_credentials_env(s, names::k_s3_access_key, names::k_s3_secret_key);
  // mc reads an alias from MC_HOST_<alias>; Kubernetes expands $(VAR) from the entries above.
  env.push_back(Json{{"name", "MC_HOST_minio"},
                     {"value", fmt::format("http://$({}):$({})@{}:{}", names::k_s3_access_key, names::k_s3_secret_key,
                                           names::service_host(s, names::k_minio), names::k_minio_port)}});
  env.push_back(Json{{"name", "MC_CONFIG_DIR"}, {"value", "/tmp/mc"}});
  const Resources defaults{{{"cpu", "50m"}, {"memory", "64Mi"}}, {{"memory", "256Mi"}}};
  Json container{{"name", "mc"},
                 {"image", s.images.minio_client},
                 {"command", Json::array({"mc"})},
                 // Idempotent: an existing bucket is success, so the Job can run on every sync.
                 {"args", Json::array({"mb", "--ignore-existing", fmt::format("minio/{}", s.object_storage.bucket)})},
                 {"env", env},
                 {"resources", resources_json(Resources{}, defaults)},
                 {"securityContext", restricted_container_security()},
                 {"volumeMounts", Json::array({Json{{"name", "tmp"}, {"mountPath", "/tmp"}}})}};
  Json meta = object_meta(k_bucket_job, k_minio_component, Wave::storage);
  // A Job's pod template is immutable: Argo CD recreates it as a hook, Flux replaces it.
  meta["annotations"]["argocd.argoproj.io/hook"] = "Sync";
  meta["annotations"]["argocd.argoproj.io/hook-delete-policy"] = "BeforeHookCreation";
  meta["annotations"]["kustomize.toolkit.fluxcd.io/force"] = "enabled";
  return Json{{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata", meta},
              {"spec", Json{{"backoffLimit", 10},
                            {"template", Json{{"metadata", Json{{"labels", common_labels(k_bucket_job, k_minio_component)}}},
                                              {"spec", Json{{"restartPolicy", "OnFailure"},
                                                            {"automountServiceAccountToken", false},
                                                            {"securityContext", pod_security_context(k_minio_uid)},
                                                            {"containers", Json::array({container})},
                                                            {"volumes", Json::array({empty_dir("tmp")})}}}}}}}};
}

}  // namespace

ResourceSet generate_dev_postgres(const ValidSpec& spec) {
  const ClusterSpec& s = spec.spec();
  if (s.storage_controller.database != DatabaseMode::in_cluster) {
    return {};
  }
  const std::string name = names::k_controller_db;
  const Json selector = selector_labels(name, k_postgres_component);
  Json pod_spec{{"automountServiceAccountToken", false},
                {"securityContext", pod_security_context(k_postgres_uid)},
                {"containers", Json::array({postgres_container(s)})},
                {"volumes", Json::array({empty_dir("run"), empty_dir("tmp")})}};
  Json claim{{"apiVersion", "v1"},
             {"kind", "PersistentVolumeClaim"},
             {"metadata", Json{{"name", "data"}}},
             {"spec", Json{{"accessModes", Json::array({"ReadWriteOnce"})},
                           {"resources", Json{{"requests", Json{{"storage", "1Gi"}}}}}}}};
  Json set{{"apiVersion", "apps/v1"},
           {"kind", "StatefulSet"},
           {"metadata", object_meta(name, k_postgres_component, Wave::storage)},
           {"spec", Json{{"serviceName", name},
                         {"replicas", 1},
                         {"selector", Json{{"matchLabels", selector}}},
                         {"template", Json{{"metadata", Json{{"labels", common_labels(name, k_postgres_component)}}},
                                           {"spec", pod_spec}}},
                         {"volumeClaimTemplates", Json::array({claim})}}}};
  return {Resource{k_postgres_component, std::move(set)},
          Resource{k_postgres_component, service(name, k_postgres_component, "postgres", names::k_postgres_port)}};
}

ResourceSet generate_dev_minio(const ValidSpec& spec) {
  const ClusterSpec& s = spec.spec();
  if (!s.object_storage.minio) {
    return {};
  }
  return {Resource{k_minio_component, minio_deployment(s)}, Resource{k_minio_component, minio_pvc()},
          Resource{k_minio_component, service(names::k_minio, k_minio_component, "s3", names::k_minio_port)},
          Resource{k_minio_component, bucket_job(s)}};
}

}  // namespace neon::gen
