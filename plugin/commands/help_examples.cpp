// The Examples section of each command's --help, as kubectl prints one. Keyed by the command's
// name as make_options sees it ("generate", "project create", "hook serve"); `{prog}` stands for
// the program as invoked ("kubectl neon" through kubectl, "kubectl-neon" directly).
#include "plugin/commands/help_examples.hpp"

#include <map>

namespace neon::cli {

const std::string* help_examples(const std::string& command) {
  static const std::map<std::string, std::string> k_examples = {
      {"init",
       "  # The dev starter with fresh tenant and timeline IDs, written to ./neon.yaml\n"
       "  {prog} init\n\n"
       "  # A production cluster named eu-west (its tree goes to clusters/eu-west)\n"
       "  {prog} init --profile prod --name eu-west -f eu-west.yaml\n"},
      {"validate",
       "  # Every problem at once, as FILE:LINE:COL: error: ...\n"
       "  {prog} validate -f neon.yaml\n"},
      {"schema", "  # Save the JSON Schema for your editor\n  {prog} schema > neon-cluster.schema.json\n"},
      {"render",
       "  # Review the objects, or apply them without GitOps\n"
       "  {prog} render -f neon.yaml | kubectl apply --server-side -f -\n"},
      {"generate",
       "  # Write and commit the tree into a repository (created if missing)\n"
       "  {prog} generate -f neon.yaml --repo ./neon-gitops\n\n"
       "  # Commit on a branch and push it for review\n"
       "  {prog} generate -f neon.yaml --repo . --branch neon/add-branch --push\n"},
      {"diff",
       "  # What the working tree's spec changes against HEAD, for a pull request\n"
       "  {prog} diff --repo . -o markdown\n\n"
       "  # Compare two commits\n"
       "  {prog} diff --repo . --base main --head HEAD\n"},
      {"project create",
       "  {prog} project create billing --pg-version 17\n\n"
       "  # With a login role and a database it owns\n"
       "  {prog} project create billing --role app --database app\n"},
      {"project delete", "  {prog} project delete billing\n"},
      {"branch create",
       "  # A branch of the project's root branch at its newest LSN\n  {prog} branch create app/preview\n"},
      {"branch delete", "  {prog} branch delete app/preview\n"},
      {"status",
       "  # Pageservers, safekeepers and tenants, through the API server's service proxy\n"
       "  {prog} status -n neon\n\n"
       "  # As JSON for scripts, or refreshed every few seconds\n"
       "  {prog} status -o json\n"
       "  {prog} status --watch\n"},
      {"attach",
       "  # Create the tenant if needed and wait until it is attached\n"
       "  {prog} attach app\n\n"
       "  # Move its shards to pageserver 12, or into an availability zone\n"
       "  {prog} attach app --node 12\n"
       "  {prog} attach app --az eu-west-1b --dry-run\n"},
      {"detach", "  {prog} detach app --yes\n"},
      {"drain",
       "  # Move every shard off pageserver 11 and wait until it is done\n  {prog} drain 11\n\n"
       "  # Start it and return at once; follow it with status\n  {prog} drain 11 --no-wait\n"},
      {"fill", "  # After the pageserver restarted: move shards back\n  {prog} fill 11\n"},
      {"sync",
       "  # What differs between the spec and the storage controller (exit 1 when something does)\n"
       "  {prog} sync -f neon.yaml --dry-run\n\n"
       "  # Fix it, and delete tenants and timelines the spec no longer has\n"
       "  {prog} sync -f neon.yaml --prune\n"},
      {"rollout",
       "  # After a new image reached the cluster: see the plan, then restart everything in order\n"
       "  {prog} rollout all --dry-run\n  {prog} rollout all\n\n"
       "  # One pageserver only; continue after a failure was dealt with\n"
       "  {prog} rollout pageservers --node 11\n  {prog} rollout pageservers --resume\n"},
      {"logs",
       "  # Every pageserver's last 100 lines, then only the lines about one tenant\n"
       "  {prog} logs pageserver --tail 100\n"
       "  {prog} logs pageserver --tenant 3aa8fcc61f6d357410b7de754b1d9001\n\n"
       "  # Follow pageserver 11 (the storage controller's node id), or a branch's compute\n"
       "  {prog} logs pageserver/11 -f\n"
       "  {prog} logs compute app/main --since 10m\n"},
      {"report",
       "  # A bundle to attach to a support request, with the last hour of every component's logs\n"
       "  {prog} report -o neon-report.tar.gz --logs\n\n"
       "  # A folder instead (no tar needed), with a day of logs\n"
       "  {prog} report -o neon-report/ --logs --since 24h\n"},
      {"secrets init",
       "  # Create the Secrets the spec names in its namespace\n"
       "  {prog} secrets init -f neon.yaml\n\n"
       "  # Print them instead, to encrypt with SOPS or seal\n"
       "  {prog} secrets init -f neon.yaml -o yaml > secrets.yaml\n"},
      {"node pageserver",
       "  # Before scaling pageservers down: move every shard off pageserver 13, then remove it\n"
       "  {prog} node pageserver delete 13 --wait\n\n"
       "  # Keep new shards off pageserver 11 for now\n"
       "  {prog} node pageserver configure 11 --scheduling Pause\n"},
      {"node safekeeper",
       "  # No new timelines on safekeeper 12; later for good\n"
       "  {prog} node safekeeper pause 12\n"
       "  {prog} node safekeeper decommission 12\n"},
      {"secrets rotate",
       "  # A new storage auth key, trusted beside the old one; restart as told\n"
       "  {prog} secrets rotate --step add -f neon.yaml\n\n"
       "  # Every token signed with it; then drop the old key\n"
       "  {prog} secrets rotate --step reissue -f neon.yaml\n"
       "  {prog} secrets rotate --step drop -f neon.yaml\n"},
      {"connection-string",
       "  # The URI of app/main for its first role, password masked\n"
       "  {prog} connection-string app/main -f neon.yaml\n\n"
       "  # With the password, as JSON parts, for another role\n"
       "  {prog} connection-string app/main --role report --show-password -o json\n\n"
       "  # Through the branch's PgBouncer (compute.pooler)\n"
       "  {prog} connection-string app/main --pooler\n\n"
       "  # With spec.proxy: the compute's in-cluster Service instead of the proxy's endpoint\n"
       "  {prog} connection-string app/main --direct\n"},
      {"suspend",
       "  # Put app/main to sleep now (compute.suspendAfter must be set on it)\n"
       "  {prog} suspend app/main -f neon.yaml\n"},
      {"resume",
       "  # Start app/main again and wait until it is ready\n"
       "  {prog} resume app/main -f neon.yaml\n\n"
       "  # Scale it up and return at once\n"
       "  {prog} resume app/main --no-wait\n"},
      {"psql",
       "  # An interactive psql in the compute of app/main\n"
       "  {prog} psql app/main -f neon.yaml\n\n"
       "  # One query; print the kubectl command first\n"
       "  {prog} psql app/main --dry-run -- -c 'select 1'\n"},
      {"hook serve",
       "  # As the generated Deployment runs it\n"
       "  {prog} hook serve --listen :8080 --computes /etc/neon/computes.json\n"},
      {"bootstrap pageserver", "  # Run by the generated init containers; not by hand\n"},
      {"bootstrap safekeeper", "  # Run by the generated init containers; not by hand\n"},
      {"bootstrap compute", "  # Run by the generated init containers; not by hand\n"},
      {"completion",
       "  # bash, for the current shell\n"
       "  source <({prog} completion bash)\n"},
      {"version", "  {prog} version -o json\n"},
  };
  const auto it = k_examples.find(command);
  return it == k_examples.end() ? nullptr : &it->second;
}

}  // namespace neon::cli
