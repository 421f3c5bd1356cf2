// Shell completion from the command table and each command's own options: `__complete` speaks the protocol kubectl
// (1.26+) uses with kubectl_complete-neon, and `completion bash|zsh` prints a script for the standalone binary.
#include <optional>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"

namespace neon::cli {

namespace {

// Cobra's ShellCompDirective values.
constexpr int k_directive_default = 0;  // fall back to file completion
constexpr int k_directive_no_file_comp = 4;
constexpr int k_directive_filter_dirs = 16;

struct Answer {
  std::vector<std::string> words;
  int directive = k_directive_no_file_comp;
};

/// What completes the value of a flag of `opts` (nullptr: a global flag).
Answer value_answer(const OptionSet* opts, const std::string& long_name) {
  if (long_name == "kubeconfig") {
    return {{}, k_directive_default};
  }
  if (opts == nullptr) {
    return {};
  }
  switch (opts->kind(long_name)) {
    case ValueKind::file:
      return {{}, k_directive_default};
    case ValueKind::dir:
      return {{}, k_directive_filter_dirs};
    case ValueKind::choice:
      return {opts->choices_of(long_name), k_directive_no_file_comp};
    case ValueKind::text:
      break;
  }
  return {};
}

/// The flag `word` names ("--repo", "--repo=x", "-f", "-fx"), when it takes a value: its long name.
std::optional<std::string> value_flag(const std::vector<Flag>& flags, const std::string& word) {
  for (const char* g : {"kubeconfig", "context", "namespace"}) {
    if (word == std::string("--") + g || word.rfind(std::string("--") + g + "=", 0) == 0) {
      return std::string(g);
    }
  }
  if (word.rfind("-n", 0) == 0 && word.rfind("--", 0) != 0) {
    return std::string("namespace");
  }
  for (const auto& f : flags) {
    if (f.placeholder.empty()) {
      continue;
    }
    if (word == "--" + f.long_name || word.rfind("--" + f.long_name + "=", 0) == 0 ||
        (!f.short_name.empty() && word.rfind("-" + f.short_name, 0) == 0 && word.rfind("--", 0) != 0)) {
      return f.long_name;
    }
  }
  return std::nullopt;
}

Answer complete(const Context& ctx, const std::vector<std::string>& before, const std::string& current) {
  const Command* command = nullptr;
  const SubVerb* verb = nullptr;
  std::optional<OptionSet> opts;
  std::vector<Flag> flags;
  std::optional<std::string> pending;  // a flag waiting for its value
  for (const auto& w : before) {
    if (pending) {
      pending.reset();
      continue;
    }
    if (w.size() > 1 && w[0] == '-') {
      const auto f = value_flag(flags, w);
      const bool inline_value = w.find('=') != std::string::npos || (w[1] != '-' && f && w.size() > 2 && w != "-n");
      if (f && !inline_value) {
        pending = f;
      }
      continue;
    }
    if (command == nullptr) {
      for (const auto& c : commands()) {
        command = w == c.name && !c.hidden ? &c : command;
      }
      if (command == nullptr) {
        return {};
      }
      if (command->options != nullptr) {
        opts = command->options(ctx);
      }
    } else if (command->group != nullptr && verb == nullptr) {
      for (const auto& v : command->group().verbs) {
        verb = w == v.name ? &v : verb;
      }
      if (verb == nullptr) {
        return {};
      }
      opts = verb->options(ctx);
    }
    flags = opts ? flags_of(*opts) : std::vector<Flag>{};
  }
  if (pending) {
    return value_answer(opts ? &*opts : nullptr, *pending);
  }
  if (current.rfind("--", 0) == 0 && current.find('=') != std::string::npos) {
    const std::string flag = current.substr(0, current.find('=') + 1);
    if (const auto f = value_flag(flags, current)) {
      Answer a = value_answer(opts ? &*opts : nullptr, *f);
      for (auto& w : a.words) {
        w = flag + w;
      }
      return a;
    }
    return {};
  }
  Answer a;
  if (command == nullptr) {
    for (const auto& c : commands()) {
      if (!c.hidden) {
        a.words.emplace_back(c.name);
      }
    }
    return a;
  }
  if (!opts) {  // a group before its sub-verb
    for (const auto& v : command->group().verbs) {
      a.words.emplace_back(v.name);
    }
    a.words.emplace_back("--help");
    return a;
  }
  if (current.empty() || current[0] != '-') {
    a.words = opts->operands();
  }
  for (const auto& f : flags) {
    a.words.push_back("--" + f.long_name);
  }
  a.words.insert(a.words.end(), global_flag_names().begin(), global_flag_names().end());
  return a;
}

}  // namespace

int cmd_complete(Context& ctx, const Args& args) {
  // args: the words after "neon"; the last one is the word being completed ("" for a new word).
  const std::string current = args.empty() ? "" : args.back();
  const std::vector<std::string> before(args.begin(), args.empty() ? args.begin() : args.end() - 1);
  const Answer a = complete(ctx, before, current);
  for (const auto& w : a.words) {
    if (w.rfind(current, 0) == 0) {
      fmt::print(ctx.out, "{}\n", w);
    }
  }
  fmt::print(ctx.out, ":{}\n", a.directive);
  return k_exit_ok;
}

OptionSet completion_options(const Context& ctx) {
  auto opts = make_options(ctx, "completion",
                           "Print a completion script for the standalone kubectl-neon binary.\n"
                           "  bash: source <(kubectl-neon completion bash)\n"
                           "  zsh:  source <(kubectl-neon completion zsh)\n"
                           "For 'kubectl neon <TAB>', put kubectl_complete-neon on PATH next to kubectl-neon.",
                           "bash|zsh");
  opts.operands({"bash", "zsh"});
  return opts;
}

int cmd_completion(Context& ctx, const Args& args) {
  auto opts = completion_options(ctx);
  int exit = 0;
  auto r = parse(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  const auto pos = positionals(*r);
  if (pos.size() != 1 || (pos[0] != "bash" && pos[0] != "zsh")) {
    return usage_error(ctx, "completion", "give exactly one shell: bash or zsh");
  }
  const std::string script = R"(# kubectl-neon completion; generated by 'kubectl-neon completion'
_kubectl_neon_complete() {
  local cur="${COMP_WORDS[COMP_CWORD]}" out directive
  out=$(kubectl-neon __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return
  directive=${out##*:}
  out=${out%:*}
  COMPREPLY=($(compgen -W "$out" -- "$cur"))
  if [[ $directive == 0 && ${#COMPREPLY[@]} -eq 0 ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  elif [[ $directive == 16 ]]; then
    COMPREPLY=($(compgen -d -- "$cur"))
  fi
}
complete -F _kubectl_neon_complete kubectl-neon
)";
  if (pos[0] == "zsh") {
    ctx.out << "autoload -U +X bashcompinit && bashcompinit\n";
  }
  ctx.out << script;
  return k_exit_ok;
}

}  // namespace neon::cli
