#pragma once
// Development-only services that stand in for what production brings from outside:
// a MinIO for object storage (component "dev-minio", with a bucket-creating Job) and a Postgres
// for the storage controller (component "dev-postgres"). Each returns nothing when the spec does
// not ask for it.
//
// Pod labels (NetworkPolicies select on them):
//   dev Postgres: app.kubernetes.io/name=storage-controller-db, app.kubernetes.io/component=dev-postgres
//   MinIO:        app.kubernetes.io/name=minio, app.kubernetes.io/component=dev-minio

#include "generators/resource.hpp"

namespace neon::gen {

ResourceSet generate_dev_postgres(const ValidSpec& spec);
ResourceSet generate_dev_minio(const ValidSpec& spec);

/// UIDs of the users inside the official images.
inline constexpr int k_postgres_uid = 999;
inline constexpr int k_minio_uid = 1000;

}  // namespace neon::gen
