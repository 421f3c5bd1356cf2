#pragma once
// Development-only services that stand in for what production brings from outside ship as
// kustomize Components under overlays/components/ and are rendered into the tree's components/:
//   dev-minio     a MinIO for object storage with a bucket-creating Job (objectStorage.minio)
//   dev-postgres  a Postgres for the storage controller (storageController.database.inCluster)
// Their files hold the dev spec's values. These functions give what the generator sets from the
// cluster's spec instead (generators/layout.cpp applies them once): the images, and patches for the
// bucket, the S3 credentials Secret and the MinIO Service's namespace.
//
// Pod labels (NetworkPolicies select on them):
//   dev Postgres: app.kubernetes.io/name=storage-controller-db, app.kubernetes.io/component=dev-postgres
//   MinIO:        app.kubernetes.io/name=minio, app.kubernetes.io/component=dev-minio

#include "generators/kustomize.hpp"

namespace neon::gen {

void dev_minio_transformers(const ClusterSpec& s, Transformers& out);
void dev_postgres_transformers(const ClusterSpec& s, Transformers& out);

}  // namespace neon::gen
