#include "plugin/commands/cli_options.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/diagnostics.hpp"
#include "plugin/commands/cli.hpp"

namespace neon::cli {

namespace {

/// "a, b or c"
std::string one_of(const std::vector<std::string>& words, const char* last) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == words.size() ? std::string(" ") + last + " " : std::string(", ")) + words[i];
  }
  return out;
}

const std::vector<std::string> k_no_choices;

}  // namespace

OptionSet::OptionSet(std::string command, std::string program, std::string summary)
    : cxxopts::Options(std::move(program), std::move(summary)), m_command(std::move(command)) {}

OptionSet::Value& OptionSet::value(const std::string& long_name) {
  const auto it = std::find_if(m_values.begin(), m_values.end(), [&](const Value& v) { return v.name == long_name; });
  if (it != m_values.end()) {
    return *it;
  }
  m_values.push_back({long_name, ValueKind::text, {}});
  return m_values.back();
}

void OptionSet::files(const std::vector<std::string>& long_names) {
  for (const auto& n : long_names) {
    value(n).kind = ValueKind::file;
  }
}

void OptionSet::dirs(const std::vector<std::string>& long_names) {
  for (const auto& n : long_names) {
    value(n).kind = ValueKind::dir;
  }
}

void OptionSet::choices(const std::string& long_name, std::vector<std::string> choices) {
  auto& v = value(long_name);
  v.kind = ValueKind::choice;
  v.choices = std::move(choices);
}

ValueKind OptionSet::kind(const std::string& long_name) const {
  for (const auto& v : m_values) {
    if (v.name == long_name) {
      return v.kind;
    }
  }
  return ValueKind::text;
}

const std::vector<std::string>& OptionSet::choices_of(const std::string& long_name) const {
  for (const auto& v : m_values) {
    if (v.name == long_name) {
      return v.choices;
    }
  }
  return k_no_choices;
}

void add_output(OptionSet& opts, const std::vector<std::string>& formats, const std::string& default_format,
                const std::string& description) {
  opts.add_options()("o,output", description, cxxopts::value<std::string>()->default_value(default_format), "FORMAT");
  opts.choices("output", formats);
}

std::optional<std::string> output_of(Context& ctx, const OptionSet& opts, const cxxopts::ParseResult& r, int& exit) {
  const auto format = r["output"].as<std::string>();
  const auto& formats = opts.choices_of("output");
  if ((format.empty() && r.count("output") == 0) ||
      std::find(formats.begin(), formats.end(), format) != formats.end()) {
    return format;
  }
  exit = usage_error(ctx, opts.command(),
                     fmt::format("unknown output format \"{}\" for {}: use one of {}", format, opts.command(),
                                 fmt::join(formats, ", ")));
  return std::nullopt;
}

void add_choice(OptionSet& opts, const std::string& name, const std::vector<std::string>& choices,
                const std::string& default_value, const std::string& description) {
  opts.add_options()(name, description, cxxopts::value<std::string>()->default_value(default_value));
  opts.choices(name, choices);
}

std::optional<std::string> choice_of(Context& ctx, const OptionSet& opts, const cxxopts::ParseResult& r,
                                     const std::string& name, int& exit) {
  const auto value = r[name].as<std::string>();
  const auto& choices = opts.choices_of(name);
  if (std::find(choices.begin(), choices.end(), value) != choices.end()) {
    return value;
  }
  exit = usage_error(ctx, opts.command(),
                     fmt::format("--{} must be {}, got \"{}\"{}", name, one_of(choices, "or"), value,
                                 gen::suggestion_suffix(value, choices)));
  return std::nullopt;
}

void add_spec_flag(OptionSet& opts, SpecFlag use, const std::string& more) {
  std::string description;
  std::string default_value;
  switch (use) {
    case SpecFlag::files:
      description = "Cluster spec (- for stdin; default: ./neon.yaml, else the built-in dev spec)";
      break;
    case SpecFlag::live:
      description = "Cluster spec (- for stdin; default: ./neon.yaml; never the built-in dev spec)";
      break;
    case SpecFlag::optional:
      description = "Cluster spec (- for stdin; default: ./neon.yaml when present)";
      break;
    case SpecFlag::edit:
      description = "Cluster spec to edit in place";
      default_value = "neon.yaml";
      break;
    case SpecFlag::head:
      description = "Spec file for the head side (- for stdin), in place of the repository's neon.yaml";
      break;
    case SpecFlag::output:
      description = "Where to write it (- for stdout)";
      default_value = "neon.yaml";
      break;
  }
  opts.add_options()("f,file", description + more, cxxopts::value<std::string>()->default_value(default_value), "FILE");
  opts.files({"file"});
}

void add_wait_flags(OptionSet& opts, const std::string& until, const std::string& no_wait) {
  opts.add_options()("wait", fmt::format("Wait until {} (the default)", until))("no-wait", no_wait);
}

std::optional<bool> wait_of(Context& ctx, const OptionSet& opts, const cxxopts::ParseResult& r, int& exit) {
  if (r.count("wait") != 0 && r.count("no-wait") != 0) {
    exit = usage_error(ctx, opts.command(), "--wait and --no-wait cannot be used together");
    return std::nullopt;
  }
  return r.count("no-wait") == 0;
}

void add_int(OptionSet& opts, const std::string& spec, const std::string& description, const std::string& default_value,
             const std::string& placeholder) {
  auto value = cxxopts::value<std::string>();
  if (!default_value.empty()) {
    value->default_value(default_value);
  }
  opts.add_options()(spec, description, value, placeholder);
}

std::optional<long long> parse_integer(const std::string& text, IntRange range) {
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const long long n = std::stoll(text);
  if (n < range.min || n > range.max) {
    return std::nullopt;
  }
  return n;
}

std::string integer_problem(const std::string& what, const std::string& text, IntRange range) {
  const std::string bounds = range.max >= IntRange{}.max ? fmt::format("of at least {}", range.min)
                                                         : fmt::format("from {} to {}", range.min, range.max);
  return fmt::format("{} must be a whole number {}, not \"{}\"", what, bounds, text);
}

bool int_of(Context& ctx, const OptionSet& opts, const cxxopts::ParseResult& r, const std::string& name, IntRange range,
            std::optional<long long>& value, int& exit) {
  value.reset();
  if (r.count(name) == 0 && !r[name].has_default()) {
    return true;
  }
  const auto text = r[name].as<std::string>();
  value = parse_integer(text, range);
  if (!value) {
    exit = usage_error(ctx, opts.command(), integer_problem("--" + name, text, range));
    return false;
  }
  return true;
}

const std::vector<std::string>& global_flag_names() {
  static const std::vector<std::string> k_names = {"--kubeconfig", "--context", "--namespace", "--no-color"};
  return k_names;
}

std::optional<std::string> extract_global_flags(std::vector<std::string>& args, GlobalFlags& flags) {
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (a == "--no-color") {
      flags.no_color = true;
      continue;
    }
    std::string* target = nullptr;
    std::string value;
    bool has_value = false;
    for (auto [name, field] : {std::pair<const char*, std::string*>{"--kubeconfig", &flags.kubeconfig},
                               {"--context", &flags.context},
                               {"--namespace", &flags.namespace_}}) {
      const std::string n(name);
      if (a == n) {
        target = field;
      } else if (a.rfind(n + "=", 0) == 0) {
        target = field;
        value = a.substr(n.size() + 1);
        has_value = true;
      }
    }
    if (a == "-n") {
      target = &flags.namespace_;
    } else if (a.size() > 2 && a.rfind("-n", 0) == 0 && a[2] != '-') {
      target = &flags.namespace_;
      value = a.substr(a[2] == '=' ? 3 : 2);
      has_value = true;
    }
    if (target == nullptr) {
      rest.push_back(a);
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return fmt::format("flag {} needs a value", a);
      }
      value = args[++i];
    }
    if (value.empty()) {
      return fmt::format("flag {} needs a value", a);
    }
    *target = value;
  }
  args = std::move(rest);
  return std::nullopt;
}

std::optional<int> confirm(Context& ctx, const std::string& command, const std::string& verb,
                           const std::string& question, bool yes, const std::string& refused) {
  if (yes) {
    return std::nullopt;
  }
  if (!ctx.in_is_tty) {
    return usage_error(ctx, command, "refusing to " + verb + " without --yes when stdin is not a terminal");
  }
  fmt::print(ctx.err, "{} [y/N] ", question);
  ctx.err.flush();
  std::string answer;
  std::getline(ctx.in, answer);
  if (answer != "y" && answer != "Y" && answer != "yes") {
    fmt::print(ctx.err, "{}\n", refused);
    return k_exit_failure;
  }
  return std::nullopt;
}

}  // namespace neon::cli
