#include "generators/dev_extras.hpp"

#include <fmt/format.h>

#include "generators/names.hpp"

namespace neon::gen {
namespace {

// Image names in the shipped overlays/components/dev-*/ files (their tags are the dev spec's).
constexpr const char* k_shipped_minio = "quay.io/minio/minio";
constexpr const char* k_shipped_minio_client = "quay.io/minio/mc";
constexpr const char* k_shipped_postgres = "docker.io/library/postgres";

constexpr const char* k_bucket_job = "minio-create-bucket";
/// The one container of the shipped Deployment and Job.
constexpr const char* k_container = "/spec/template/spec/containers/0";

Json replace(const std::string& path, const std::string& value) {
  return Json{{"op", "replace"}, {"path", std::string(k_container) + path}, {"value", value}};
}

/// Env entries 0 and 1 of both containers read the access and secret key from the Secret.
Json credentials_ops(const ClusterSpec& s) {
  return Json::array({replace("/env/0/valueFrom/secretKeyRef/name", s.object_storage.credentials_secret),
                      replace("/env/1/valueFrom/secretKeyRef/name", s.object_storage.credentials_secret)});
}

}  // namespace

void dev_minio_transformers(const ClusterSpec& s, Transformers& out) {
  out.images.push_back(image_entry(k_shipped_minio, s.images.minio));
  out.images.push_back(image_entry(k_shipped_minio_client, s.images.minio_client));
  out.patches.push_back(Patch{"Deployment", names::k_minio, credentials_ops(s)});
  Json job = credentials_ops(s);
  job.push_back(replace("/args/2", fmt::format("minio/{}", s.object_storage.bucket)));
  // Entry 2 is MC_HOST_minio, the alias mc reads: credentials from entries 0 and 1, then the Service.
  job.push_back(
      replace("/env/2/value", fmt::format("http://$({}):$({})@{}:{}", names::k_s3_access_key, names::k_s3_secret_key,
                                          names::service_host(s, names::k_minio), names::k_minio_port)));
  out.patches.push_back(Patch{"Job", k_bucket_job, std::move(job)});
}

void dev_postgres_transformers(const ClusterSpec& s, Transformers& out) {
  out.images.push_back(image_entry(k_shipped_postgres, s.images.postgres));
}

}  // namespace neon::gen
